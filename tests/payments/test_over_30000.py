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
from spend.models import Payment
from tests.conftest import TEST_PASSWORD
from tests.factories import contract_fields
from tests.payments.ledger import Row, import_rows

D = dt.date
pytestmark = pytest.mark.django_db


def contract(reference: str, supplier: str, procured: D | None, start: D, end: D) -> Contract:
    data = contract_fields(
        title=f"Contract {reference}",
        department="Highways",
        award_date=start,
        start_date=start,
        end_date=end,
        awarded_value=Decimal("500000.00"),
        procurement_start_date=procured,
    )
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


def test_lines_without_an_invoice_number_are_each_their_own_invoice_payment(
    tmp_path: Path,
) -> None:
    """Oracle lines with no invoice number are never run together as one invoice "": each is
    its own payment, named by its line's key, so two £20,000 lines paid on one day are not
    one payment over £30,000."""
    contract("NEW-1", "100", D(2026, 4, 1), D(2026, 4, 1), D(2028, 3, 31))
    import_rows(
        tmp_path,
        [
            Row(1, "100", "", D(2026, 4, 1), D(2026, 5, 1), 2_000_000),
            Row(2, "100", "", D(2026, 4, 1), D(2026, 5, 1), 2_000_000),
            Row(3, "100", "", D(2026, 4, 1), D(2026, 5, 2), 3_500_000),
        ],
    )
    rows = selectors.payments_over_threshold(D(2026, 4, 1), D(2026, 6, 30))
    [line] = Payment.objects.filter(amount_pence=3_500_000)
    assert [(r.invoice_number, r.amount_pence) for r in rows] == [(line.natural_key, 3_500_000)]


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


# --- From the contract links: issue 15's one rule, which rule matched shown per payment -----

RULE_ROWS = [
    # Supplier 100 inside NEW-A's dates: by supplier and dates.
    Row(21, "100", "A-1", D(2026, 4, 1), D(2026, 4, 20), 4_000_000),
    # Supplier 400 has no contract; its payment carries NEW-A's reference.
    Row(22, "400", "R-1", D(2026, 4, 1), D(2026, 5, 2), 3_500_000, order="NEW-A"),
    # Supplier 500 has no contract; an officer links its payment to NEW-B.
    Row(23, "500", "L-1", D(2026, 4, 1), D(2026, 5, 3), 5_000_000),
    # Supplier 300, NEW-B's: one line linked by an officer, one by supplier and dates.
    Row(24, "300", "M-1", D(2026, 5, 1), D(2026, 5, 10), 2_000_000, line=1),
    Row(25, "300", "M-1", D(2026, 5, 1), D(2026, 5, 10), 1_500_000, line=2),
    # Under £30,000.
    Row(26, "100", "A-2", D(2026, 4, 1), D(2026, 5, 20), 2_999_999),
    # Voided: not a payment made.
    Row(27, "100", "A-3", D(2026, 4, 1), D(2026, 5, 21), 6_000_000, status="VOIDED"),
    # Supplier 200's contract was procured before 1 April 2026: not in the file.
    Row(28, "200", "B-1", D(2026, 4, 1), D(2026, 5, 22), 9_000_000),
    # Supplier 100, but the payment carries OLD-B's reference: OLD-B's, so not in.
    Row(29, "100", "A-4", D(2026, 4, 1), D(2026, 6, 1), 4_500_000, order="OLD-B"),
    # Supplier 300 before NEW-B started: no rule gives it to a contract.
    Row(30, "300", "M-0", D(2026, 4, 1), D(2026, 4, 25), 7_000_000),
]
# reference: (supplier, procurement start, start, end)
RULE_CONTRACTS = {
    "NEW-A": ("100", D(2026, 4, 1), D(2026, 4, 1), D(2028, 3, 31)),
    "NEW-B": ("300", D(2026, 4, 2), D(2026, 5, 1), D(2027, 3, 31)),
    "OLD-B": ("200", D(2025, 11, 1), D(2026, 1, 1), D(2028, 3, 31)),
}
# Rows (by their invoice payment id) an officer links to a contract.
RULE_LINKS = {23: "NEW-B", 24: "NEW-B"}


def expected_s70(rows: list[Row], start: D, end: D) -> list[tuple[Any, ...]]:
    """The file worked out from the rows as written: a link, else a reference, else the
    supplier within the dates; invoice payments (lines netted) over £30,000 under contracts
    procured from 1 April 2026."""
    link_rule, reference_rule, dates_rule = (
        "Linked by an officer",
        "Contract or purchase order reference on the payment",
        "Supplier and contract dates",
    )
    totals: dict[tuple[str, str, str, D], list[Any]] = {}
    for r in rows:
        if r.status == "VOIDED" or not start <= r.paid <= end:
            continue
        owner, rule = RULE_LINKS.get(r.ipid), link_rule
        if owner is None and r.order in RULE_CONTRACTS:
            owner, rule = r.order, reference_rule
        if owner is None:
            owner = next(
                (
                    ref
                    for ref, (supplier, _, first, last) in RULE_CONTRACTS.items()
                    if supplier == r.supplier and first <= r.paid <= last
                ),
                None,
            )
            rule = dates_rule
        if owner is None or RULE_CONTRACTS[owner][1] < D(2026, 4, 1):
            continue
        entry = totals.setdefault((owner, r.supplier, r.invoice, r.paid), [0, set()])
        entry[0] += r.pence
        entry[1].add(rule)
    order = [link_rule, reference_rule, dates_rule]
    return sorted(
        (day, ref, supplier, invoice, pence, tuple(x for x in order if x in rules))
        for (ref, supplier, invoice, day), (pence, rules) in totals.items()
        if pence > 3_000_000
    )


@pytest.fixture
def by_each_rule(tmp_path: Path) -> None:
    from spend.models import Payment

    import_rows(tmp_path, RULE_ROWS)
    made = {
        ref: contract(ref, supplier, procured, first, last)
        for ref, (supplier, procured, first, last) in RULE_CONTRACTS.items()
    }
    for ipid, ref in RULE_LINKS.items():
        payment = Payment.objects.get(payment_reference=f"7{ipid:05d}")  # Row's check number
        contract_services.payment_link(
            contract=made[ref], payment=payment, reason="Call-off", user=None
        )


def test_the_quarter_file_follows_the_contract_links_and_says_which_rule(
    by_each_rule: None,
) -> None:
    start, end = D(2026, 4, 1), D(2026, 6, 30)
    expected = expected_s70(RULE_ROWS, start, end)
    # The scenario reaches each rule, the mixed invoice and nothing else.
    assert {(e[3], e[5]) for e in expected} == {
        ("A-1", ("Supplier and contract dates",)),
        ("R-1", ("Contract or purchase order reference on the payment",)),
        ("L-1", ("Linked by an officer",)),
        ("M-1", ("Linked by an officer", "Supplier and contract dates")),
    }
    rows = selectors.payments_over_threshold(start, end)
    assert (
        sorted(
            (
                r.payment_date,
                r.contract_reference,
                r.supplier_number,
                r.invoice_number,
                r.amount_pence,
                r.matched_by,
            )
            for r in rows
        )
        == expected
    )
    assert all(not r.also_linked_to for r in rows)


def test_the_csv_and_page_say_which_rule_matched(by_each_rule: None, officer: User) -> None:
    client = Client()
    assert client.login(username=officer.email, password=TEST_PASSWORD)
    response = client.get("/payments/over-30000/?quarter=2026Q2&_export=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    got = {
        r["Invoice number"]: (r["Contract reference"], r["Matched to the contract by"])
        for r in csv.DictReader(io.StringIO(text))
    }
    expected = expected_s70(RULE_ROWS, D(2026, 4, 1), D(2026, 6, 30))
    assert got == {e[3]: (e[1], "; ".join(e[5])) for e in expected}
    page = client.get("/payments/over-30000/?quarter=2026Q2").content.decode()
    assert "Linked by an officer; Supplier and contract dates" in page
