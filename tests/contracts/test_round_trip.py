"""Every file the portal publishes (CSV, XLSX, OCDS) and the officers' export import back into
an empty register as the same register, field by field, multi-line cells included."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts import publishing, services
from contracts.models import Contract
from portal.periods import Quarter
from tests.factories import contract_fields

pytestmark = pytest.mark.django_db

CONTRACT = (
    "reference",
    "title",
    "description",
    "department",
    "category",
    "procurement_route",
    "cpv_code",
    "award_date",
    "start_date",
    "end_date",
    "review_date",
    "awarded_value",
    "vat_not_recoverable",
    "framework",
    "status",
)
SUPPLIER = (
    "name",
    "supplier_number",
    "company_number",
    "charity_number",
    "postcode",
    "sme",
    "vcfs",
    "ppon",
)


def _supplier(name: str, **values: Any) -> dict[str, Any]:
    return {
        "name": name,
        "supplier_number": "",
        "company_number": "",
        "charity_number": "",
        "postcode": "",
        "sme": None,
        "vcfs": None,
        "ppon": "",
    } | values


def _contract(**values: Any) -> dict[str, Any]:
    return contract_fields(**values)


def _register() -> None:
    lots = services.contract_create(
        reference="LCC-2023-017",
        contract=_contract(
            title="Highways maintenance, Lots 1 and 2",
            description="Repairs across the county\r\nLot 2: street lighting\r\n\r\nSee tender.",
            category="Construction and Assets",
            procurement_route="Open",
            cpv_code="45233141",
            review_date=date(2025, 1, 31),
            awarded_value=Decimal("1234567.89"),
            vat_not_recoverable=Decimal("1250.50"),
            framework=True,
        ),
        supplier=_supplier(
            "Acme Highways Ltd",
            supplier_number="S10045",
            company_number="01234567",
            postcode="PR1 2HE",
            sme=False,
            vcfs=False,
            ppon="PUK123456789",
        ),
        user=None,
    )
    services.supplier_add(
        contract=lots,
        supplier=_supplier(
            "Lancashire Lights CIC",
            charity_number="1100001",
            postcode="BB11 1AA",
            sme=True,
            vcfs=True,
        ),
        user=None,
    )
    services.contract_create(
        reference="CF-ffb5b4fa-0706-46e8-9bf8-86c8e991b1bb",
        contract=_contract(
            title="Food framework",
            department="Not recorded (Contracts Finder)",
            end_date=None,
            awarded_value=Decimal("400000.00"),
        ),
        supplier=_supplier("Dunsters Farm Ltd", sme=True),
        user=None,
    )
    services.contract_create(
        reference="INJECT-1",
        contract=_contract(title="=SUM(A1:A9)", description="+cmd|' /C calc'!A0"),
        supplier=_supplier("@Risky Ltd", postcode="LS1 4DY"),
        user=None,
    )


def _snapshot() -> dict[str, Any]:
    register = {}
    for contract in Contract.objects.prefetch_related("suppliers"):
        register[contract.reference] = (
            {name: getattr(contract, name) for name in CONTRACT},
            sorted(tuple(getattr(s, name) for name in SUPPLIER) for s in contract.suppliers.all()),
        )
    return register


def _import_into_an_empty_register(path: Path) -> dict[str, Any]:
    Contract.objects.all().delete()
    services.register_import(path=path)
    return _snapshot()


def test_each_published_file_imports_back_as_the_same_register(tmp_path: Path) -> None:
    _register()
    before = _snapshot()
    assert len(before) == 3
    # A browser's CRLF is kept as one line break (workbooks hold LF only).
    assert "county\nLot 2: street lighting\n\nSee" in before["LCC-2023-017"][0]["description"]
    publication = services.publication_build(quarter=Quarter.parse("2024Q1"), user=None)
    assert publication.contract_count == 3
    for kind in ("csv", "xlsx", "ocds"):
        path = Path(getattr(publication, kind).path)
        after = _import_into_an_empty_register(path)
        assert after.keys() == before.keys(), kind
        for reference, (contract, suppliers) in before.items():
            again, again_suppliers = after[reference]
            for name in CONTRACT:
                assert again[name] == contract[name], (kind, reference, name)
            assert again_suppliers == suppliers, (kind, reference)


def test_the_officers_export_imports_back_as_the_same_register(tmp_path: Path) -> None:
    _register()
    before = _snapshot()
    for kind in ("csv", "xlsx"):
        content, _type = publishing.live_register_file(kind)
        path = tmp_path / f"export.{kind}"
        path.write_bytes(content)
        assert _import_into_an_empty_register(path) == before, kind


def test_the_published_ocds_keeps_the_ocid_so_a_reimport_updates(tmp_path: Path) -> None:
    _register()
    publication = services.publication_build(quarter=Quarter.parse("2024Q1"), user=None)
    path = Path(publication.ocds.path)
    services.register_import(path=path)
    again = services.register_import(path=path)
    assert again.contracts_created == 0
    assert again.suppliers_created == 0
    assert Contract.objects.count() == 3
    assert Contract.objects.get(reference="CF-ffb5b4fa-0706-46e8-9bf8-86c8e991b1bb").ocid
