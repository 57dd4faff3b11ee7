"""Payments over £30,000 (s.70): each invoice payment over the threshold, under contracts whose
procurement began on or after 1 April 2026, worked out here from the rows the test writes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from contracts import services as contract_services
from contracts.models import Contract
from payments import selectors
from portal.models import User
from tests.conftest import TEST_PASSWORD
from tests.payments.ledger import Row, import_rows

D = dt.date
pytestmark = pytest.mark.django_db


def contract(reference: str, supplier: str, procured: D | None, start: D, end: D) -> Contract:
    data: dict[str, Any] = {
        "title": f"Contract {reference}",
        "description": "",
        "department": "Highways",
        "category": "",
        "procurement_route": "",
        "cpv_code": "",
        "award_date": start,
        "start_date": start,
        "end_date": end,
        "review_date": None,
        "awarded_value": Decimal("500000.00"),
        "vat_not_recoverable": Decimal("0.00"),
        "framework": False,
        "procurement_start_date": procured,
    }
    return contract_services.contract_create(
        reference=reference,
        contract=data,
        supplier={"name": f"Supplier {supplier}", "supplier_number": supplier},
        user=None,
    )


ROWS = [
    # Over £30,000 in one invoice payment: in (two lines make £30,000.01).
    Row(1, "100", "A-1", D(2026, 4, 1), D(2026, 4, 20), 2_000_000, line=1),
    Row(2, "100", "A-1", D(2026, 4, 1), D(2026, 4, 20), 1_000_001, line=2),
    # Exactly £30,000: not over.
    Row(3, "100", "A-2", D(2026, 4, 1), D(2026, 5, 20), 3_000_000),
    # Two payments of £20,000: never added together.
    Row(4, "100", "A-3", D(2026, 4, 1), D(2026, 5, 21), 2_000_000),
    Row(5, "100", "A-4", D(2026, 4, 1), D(2026, 5, 21), 2_000_000),
    # Over, but before the contract started (its start is 1 May for supplier 300).
    Row(6, "300", "C-1", D(2026, 4, 1), D(2026, 4, 25), 5_000_000),
    Row(7, "300", "C-2", D(2026, 4, 1), D(2026, 6, 5), 5_000_000),
    # Over, to a supplier whose contract was procured before April 2026: not in.
    Row(8, "200", "B-1", D(2026, 4, 1), D(2026, 5, 1), 9_000_000),
    # Over, in the next quarter.
    Row(9, "100", "A-5", D(2026, 6, 1), D(2026, 7, 1), 4_000_000),
]


@pytest.fixture
def linked(tmp_path: Path) -> None:
    import_rows(tmp_path, ROWS)
    contract("NEW-1", "100", D(2026, 4, 1), D(2026, 4, 1), D(2028, 3, 31))
    contract("OLD-1", "200", D(2025, 11, 1), D(2026, 1, 1), D(2028, 3, 31))
    contract("NEW-2", "300", D(2026, 4, 15), D(2026, 5, 1), D(2027, 3, 31))
    contract("NONE-1", "200", None, D(2026, 1, 1), D(2028, 3, 31))


def test_the_quarter_file_lists_each_payment_over_30000(linked: None) -> None:
    rows = selectors.payments_over_threshold(D(2026, 4, 1), D(2026, 6, 30))
    assert [(r.contract_reference, r.invoice_number, r.amount_pence) for r in rows] == [
        ("NEW-1", "A-1", 3_000_001),
        ("NEW-2", "C-2", 5_000_000),
    ]
    assert rows[0].payment_date == D(2026, 4, 20)
    assert rows[0].supplier_number == "100"
    later = selectors.payments_over_threshold(D(2026, 7, 1), D(2026, 9, 30))
    assert [r.invoice_number for r in later] == ["A-5"]


def test_a_payment_linked_to_two_contracts_is_flagged(linked: None) -> None:
    contract("NEW-3", "100", D(2026, 5, 1), D(2026, 4, 1), D(2027, 3, 31))
    rows = selectors.payments_over_threshold(D(2026, 4, 1), D(2026, 6, 30))
    a1 = [r for r in rows if r.invoice_number == "A-1"]
    assert {(r.contract_reference, r.also_linked_to) for r in a1} == {
        ("NEW-1", ("NEW-3",)),
        ("NEW-3", ("NEW-1",)),
    }


def test_csv_download(linked: None, officer: User) -> None:
    client = Client()
    assert client.login(username=officer.email, password=TEST_PASSWORD)
    response = client.get("/payments/over-30000/?quarter=2026Q2&_export=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Invoice number"] for r in rows] == ["A-1", "C-2"]
    assert rows[0]["Amount paid (£, VAT included)"] == "30000.01"
    assert rows[0]["Contract reference"] == "NEW-1"
    page = client.get("/payments/over-30000/?quarter=2026Q2").content.decode()
    assert "£30,000.01" in page
    assert client.get("/payments/over-30000/?quarter=2026Q1").status_code == 404
