"""Importing the register: CSV, XLSX and Contracts Finder JSON; all or nothing; idempotent."""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from contracts import services
from contracts.layout import COLUMNS, LayoutError
from contracts.models import AwardedSupplier, Contract
from tests.contracts.conftest import register_row, write_csv

pytestmark = pytest.mark.django_db


def test_the_shared_sample_imports(data_dir: Path) -> None:
    sample = data_dir / "samples" / "contract_register_sample.csv"
    result = services.register_import(path=sample)
    lines = sample.read_text().strip().splitlines()[1:]
    references = {line.split(",")[0] for line in lines}
    assert result.rows == len(lines)
    assert Contract.objects.count() == len(references)
    assert AwardedSupplier.objects.count() == len(lines)
    messy = AwardedSupplier.objects.get(name="AWARDED SUPPLIER 003-002")
    assert messy.postcode == "PR7 1DP"  # " PR7  1DP " tidied
    assert AwardedSupplier.objects.get(name="AWARDED SUPPLIER 001-002").postcode == "SK1 3XE"


def test_importing_twice_changes_nothing_and_updates_in_place(year_file: Path) -> None:
    first = services.register_import(path=year_file)
    counts = (Contract.objects.count(), AwardedSupplier.objects.count())
    second = services.register_import(path=year_file)
    assert (Contract.objects.count(), AwardedSupplier.objects.count()) == counts
    assert second.contracts_created == 0
    assert second.suppliers_created == 0
    assert second.contracts_updated == first.contracts_created


def test_a_bad_row_refuses_the_whole_file(tmp_path: Path) -> None:
    rows = [
        register_row("R1", "Acme"),
        register_row("R2", "Beta"),
        register_row("R3", "Gamma", **{"End date": "2020-01-01"}),
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(LayoutError, match=r"line 4, column 'End date'"):
        services.register_import(path=path)
    assert not Contract.objects.exists()
    with pytest.raises(CommandError, match=r"nothing in it was saved: line 4, column 'End date'"):
        call_command("import_register", str(path))
    assert not Contract.objects.exists()


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Reference,Title\nR1,Thing\n")
    with pytest.raises(LayoutError, match=r"line 1.*'Supplier name'"):
        services.register_import(path=path)


def test_contract_columns_must_agree_across_a_references_rows(tmp_path: Path) -> None:
    rows = [register_row("R1", "Acme"), register_row("R1", "Beta", **{"Awarded value": "5"})]
    path = write_csv(tmp_path / "clash.csv", rows)
    with pytest.raises(LayoutError, match=r"line 3, column 'Awarded value'.*line 2"):
        services.register_import(path=path)


def test_xlsx_imports_with_typed_cells(tmp_path: Path) -> None:
    from datetime import date

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    row = register_row("X1", "Acme Ltd")
    cells: list[object] = [row[c] for c in COLUMNS]
    cells[COLUMNS.index("Award date")] = date(2023, 6, 1)
    cells[COLUMNS.index("Start date")] = date(2023, 7, 1)
    cells[COLUMNS.index("End date")] = date(2026, 6, 30)
    cells[COLUMNS.index("Awarded value")] = 250000.1
    cells[COLUMNS.index("Company number")] = 1234567
    sheet.append(cells)
    path = tmp_path / "register.xlsx"
    book.save(path)
    call_command("import_register", str(path))
    contract = Contract.objects.get(reference="X1")
    assert contract.awarded_value == Decimal("250000.10")
    assert str(contract.end_date) == "2026-06-30"
    assert contract.suppliers.get().company_number == "01234567"


def test_lancashire_contracts_finder_notices_map_into_the_register(data_dir: Path) -> None:
    path = data_dir / "contracts_lancashire_cc_contracts_finder" / "lancashire_cc_procurement.json"
    notices = json.loads(path.read_text())["contracts"]
    result = services.register_import(path=path)

    pseudo = re.compile(r"^(n/a|abandoned|tender abandoned|date now passed)", re.I)
    expected = [
        n
        for n in notices
        if n["status"] == "awarded"
        and n["awarded_date"]
        and n["awarded_value"] > 0
        and n["awarded_supplier"]
        and not pseudo.match(n["awarded_supplier"])
    ]
    assert Contract.objects.count() == len(expected)
    assert len(result.skipped) == len(notices) - len(expected)
    assert sum(c.awarded_value for c in Contract.objects.all()) == sum(
        Decimal(str(n["awarded_value"])).quantize(Decimal("0.01")) for n in expected
    )

    food = Contract.objects.get(reference="CF-ffb5b4fa-0706-46e8-9bf8-86c8e991b1bb")
    assert food.ocid == "ocds-b5fd17-ffb5b4fa-0706-46e8-9bf8-86c8e991b1bb"
    assert food.framework
    assert food.cpv_code == "03142500"
    assert str(food.award_date) == "2025-08-01"
    assert food.end_date is None
    assert sorted(s.name for s in food.suppliers.all()) == [
        "Dunsters Farm Ltd",
        "Morris Quality Bakers Limited",
        "Sysco GB Limited",
        "Trevors Warehouses Ltd",
    ]
    assert all(s.sme for s in food.suppliers.all())
    # Lots: prefixes dropped, "No Award" left out, the same supplier once.
    recycling = Contract.objects.get(suppliers__name="Global Ardour Recycling Limited")
    assert recycling.suppliers.count() == 1
    suez = Contract.objects.filter(suppliers__name="SUEZ Recycling & Recovery UK Limited").get()
    assert sorted(s.name for s in suez.suppliers.all()) == [
        "Boden & Davies Limited",
        "SUEZ Recycling & Recovery UK Limited",
    ]
    # "Name, Chartered Accountants" is one supplier, not two.
    assert AwardedSupplier.objects.filter(name__startswith="Beever and Struthers, ").exists()
    assert "&amp;" not in "".join(Contract.objects.values_list("title", flat=True))

    again = services.register_import(path=path)
    assert again.contracts_created == 0
    assert Contract.objects.count() == len(expected)
