"""The contract page's and the off-contract list's fast reads (summary months, part months
from payments, a supplier's cover as one set of dates) give the figures of the rules applied
payment by payment, here in plain Python over the rows the test writes: voided payments,
credit notes, officers' links (to this contract and elsewhere), order references (to this
contract, another and a draft) and supplier-and-dates matches, with contracts starting and
ending mid-month, two contracts of one supplier end to end, one ended early and a draft."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts import selectors, services
from contracts.models import Contract
from spend.models import Payment
from tests.factories import contract_fields
from tests.payments.ledger import Row, import_rows

D = dt.date
TODAY = D(2025, 6, 15)
pytestmark = pytest.mark.django_db

# reference: (supplier, start, end, ended early on, draft)
CONTRACTS: dict[str, tuple[str, D, D, D | None, bool]] = {
    "K-A": ("100", D(2024, 4, 15), D(2025, 1, 20), None, False),
    "K-A2": ("100", D(2025, 1, 21), D(2026, 3, 31), None, False),  # follows K-A
    "K-B": ("200", D(2024, 6, 1), D(2025, 5, 31), D(2024, 11, 10), False),
    "K-C": ("300", D(2024, 4, 1), D(2026, 3, 31), None, True),
}


def ledger() -> list[Row]:
    rows: list[Row] = []
    ipid = 0

    def add(supplier: str, day: D, pence: int, **extra: Any) -> None:
        nonlocal ipid
        ipid += 1
        rows.append(
            Row(ipid, supplier, f"I{ipid}", day - dt.timedelta(days=9), day, pence, **extra)
        )

    for m in range(15):  # January 2024 to March 2025
        first = D(2024 + m // 12, m % 12 + 1, 1)
        for k, supplier in enumerate(("100", "200", "300", "400")):
            for day in (3, 15, 20, 28):
                add(supplier, first.replace(day=day), 100_000 + 1_000 * m + 10 * k + day)
        add("100", first.replace(day=10), -25_000)  # a credit note every month
        add("100", first.replace(day=11), 900_000, status="VOIDED")  # never spend
    add("100", D(2024, 8, 5), 330_000, order="K-B")  # another contract's reference
    add("100", D(2024, 8, 6), 440_000, order="K-C")  # the draft's reference
    add("100", D(2024, 9, 7), 550_000, order="K-A")  # its own reference
    add("300", D(2024, 9, 8), 660_000, order="K-A")  # another supplier, K-A's reference
    add("200", D(2024, 12, 9), 770_000, order="K-B")  # after K-B ended, its reference
    add("100", D(2024, 10, 12), 880_000)  # linked to K-B below
    add("400", D(2024, 10, 13), 990_000)  # linked to K-A below
    add("100", D(2024, 10, 14), 111_000)  # linked to K-A below (its own supplier)
    add("100", D(2024, 10, 16), 222_000, status="VOIDED")  # linked to K-A, but voided
    add("300", D(2025, 2, 17), 333_000)  # linked to the draft K-C below
    return rows


# Check numbers (7 + invoice payment id, as Row writes them) an officer links, to a contract.
def links(rows: list[Row]) -> dict[int, str]:
    by_amount = {r.pence: r.ipid for r in rows if r.pence in (880_000, 990_000, 111_000, 222_000)}
    return {
        by_amount[880_000]: "K-B",
        by_amount[990_000]: "K-A",
        by_amount[111_000]: "K-A",
        by_amount[222_000]: "K-A",
        next(r.ipid for r in rows if r.pence == 333_000): "K-C",
    }


@pytest.fixture
def register(tmp_path: Path) -> dict[str, Contract]:
    rows = ledger()
    import_rows(tmp_path, rows)
    made = {}
    for reference, (supplier, start, end, ended, draft) in CONTRACTS.items():
        made[reference] = services.contract_create(
            reference=reference,
            contract=contract_fields(
                title=f"Contract {reference}",
                department="Highways",
                award_date=start,
                start_date=start,
                end_date=end,
                awarded_value=Decimal("900000.00"),
            ),
            supplier={"name": f"Supplier {supplier}", "supplier_number": supplier},
            user=None,
            draft=draft,
        )
        if ended:
            services.contract_end(contract=made[reference], ended_on=ended, reason="x", user=None)
    for ipid, reference in links(rows).items():
        services.payment_link(
            contract=made[reference],
            payment=Payment.objects.get(payment_reference=f"7{ipid:05d}"),
            reason="Call-off",
            user=None,
        )
    return made


def owner_rule(r: Row, reference: str, linked: dict[int, str]) -> str | None:
    """Which rule gives payment ``r`` to contract ``reference`` (None: not its)."""
    supplier, start, end, ended, _ = CONTRACTS[reference]
    if r.status == "VOIDED":
        return None
    if r.ipid in linked:
        return selectors.RULE_LINK if linked[r.ipid] == reference else None
    if r.order == reference:
        return selectors.RULE_REFERENCE
    if r.order in CONTRACTS:
        return None
    if r.supplier == supplier and start <= r.paid <= min(ended or end, TODAY):
        return selectors.RULE_SUPPLIER
    return None


def fy_of(day: D) -> int:
    return day.year if day.month >= 4 else day.year - 1


@pytest.mark.parametrize("reference", list(CONTRACTS))
def test_contract_spend_is_the_rules_payment_by_payment(
    register: dict[str, Contract], reference: str
) -> None:
    rows, linked = ledger(), links(ledger())
    months: dict[D, int] = defaultdict(int)
    years: dict[int, int] = defaultdict(int)
    rules: dict[str, list[int]] = {rule: [0, 0] for rule in selectors.RULES}
    for r in rows:
        rule = owner_rule(r, reference, linked)
        if rule is None:
            continue
        months[r.paid.replace(day=1)] += r.pence
        years[fy_of(r.paid)] += r.pence
        rules[rule][0] += r.pence
        rules[rule][1] += 1
    spend = selectors.contract_spend(register[reference], today=TODAY)
    assert spend.spend_pence == sum(months.values())
    assert [(m.period, m.spend_pence) for m in spend.months] == sorted(months.items())
    assert [(y.period, y.spend_pence) for y in spend.years] == sorted(years.items())
    assert {r.rule: [r.spend_pence, r.payments] for r in spend.rules} == rules
    # And the payments the one rule lists are the same (the s.70 file reads them).
    listed = selectors.payments_for_contract(register[reference], today=TODAY)
    assert sum(p.amount_pence for p in listed) == spend.spend_pence


def test_the_scenario_reaches_every_rule_and_edge(register: dict[str, Contract]) -> None:
    rows, linked = ledger(), links(ledger())
    reached = {
        (reference, owner_rule(r, reference, linked)) for r in rows for reference in CONTRACTS
    }
    assert {("K-A", rule) for rule in selectors.RULES} <= reached
    assert ("K-B", selectors.RULE_REFERENCE) in reached
    assert ("K-C", selectors.RULE_LINK) in reached


@pytest.mark.parametrize("fy", [2023, 2024])
def test_off_contract_spend_is_the_rules_payment_by_payment(
    register: dict[str, Contract], fy: int
) -> None:
    rows, linked = ledger(), links(ledger())
    registered = {ref: c for ref, c in CONTRACTS.items() if not c[4]}
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.status == "VOIDED" or fy_of(r.paid) != fy:
            continue
        if linked.get(r.ipid) in registered or r.order in registered:
            continue
        if any(
            supplier == r.supplier and start <= r.paid <= (ended or end)
            for supplier, start, end, ended, _ in registered.values()
        ):
            continue
        totals[r.supplier] += r.pence
    found = selectors.spend_without_contract(fy=fy, threshold_pence=1)
    assert {r.supplier.supplier_number: r.spend_pence for r in found.suppliers} == {
        s: t for s, t in totals.items() if t >= 1
    }
    threshold = sorted(totals.values())[len(totals) // 2]
    above = selectors.spend_without_contract(fy=fy, threshold_pence=threshold)
    assert {r.supplier.supplier_number for r in above.suppliers} == {
        s for s, t in totals.items() if t >= threshold
    }
