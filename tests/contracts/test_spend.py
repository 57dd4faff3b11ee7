"""Contract spend from the spend ledger: by supplier number or company number, within dates."""

from datetime import date
from pathlib import Path

import pytest

from contracts import selectors, services
from contracts.models import Contract
from tests.contracts.conftest import register_row, write_csv

pytestmark = pytest.mark.django_db


def _pay(supplier, day: date, pence: int, number: int) -> None:
    from spend.models import ImportBatch, Payment, SupplierSite

    batch = ImportBatch.objects.first() or ImportBatch.objects.create(
        file_name="t.csv", sha256="0" * 64
    )
    site, _ = SupplierSite.objects.get_or_create(supplier=supplier)
    Payment.objects.create(
        natural_key=f"k{number}",
        layout="r12",
        batch=batch,
        supplier=supplier,
        site=site,
        payment_date=day,
        financial_year=day.year if day.month > 3 else day.year - 1,
        amount_pence=pence,
    )


def test_contract_spend_and_spend_without_a_contract(tmp_path: Path) -> None:
    from spend.models import Supplier

    rows = [
        register_row(
            "C1",
            "Acme",
            **{
                "Supplier number": "S1",
                "Start date": "2023-05-01",
                "End date": "2025-04-30",
                "Awarded value": "1000",
            },
        ),
        register_row(
            "C1",
            "Beta",
            **{
                "Company number": "01234567",
                "Start date": "2023-05-01",
                "End date": "2025-04-30",
                "Awarded value": "1000",
            },
        ),
    ]
    services.register_import(path=write_csv(tmp_path / "r.csv", rows))
    acme = Supplier.objects.create(supplier_number="S1", name="Acme", name_key="ACME")
    beta = Supplier.objects.create(
        supplier_number="S9", name="Beta", name_key="BETA", company_number="01234567"
    )
    other = Supplier.objects.create(supplier_number="S5", name="Other", name_key="OTHER")
    _pay(acme, date(2023, 6, 1), 10_000, 1)
    _pay(acme, date(2023, 4, 1), 99_999, 2)  # before the contract started
    _pay(beta, date(2024, 1, 1), 15_000, 3)
    _pay(other, date(2024, 1, 1), 70_000, 4)
    _pay(other, date(2024, 2, 1), 1_000, 5)
    from spend.ingest.load import rebuild_summaries

    # Written by hand, not imported: the summary the pages read is rebuilt as an import keeps it.
    rebuild_summaries([2023])

    spend = selectors.contract_spend(Contract.objects.get(reference="C1"), today=date(2024, 6, 1))
    assert spend.spend_pence == 25_000
    assert spend.suppliers_matched == 2
    assert spend.percent_of_value == 25

    found = selectors.spend_without_contract(fy=2023, threshold_pence=50_000)
    # Acme's payment before its contract started has no contract behind it.
    assert [(r.supplier.pk, r.spend_pence) for r in found.suppliers] == [
        (acme.pk, 99_999),
        (other.pk, 71_000),
    ]
