"""The contract page's spend rules at their edges: the projection's sentences and figures
for an ended contract, a nil or penny value, no spend in the rate window, exactly three
whole months, a date reached exactly on the end date or exactly 100 years away, no end date;
the fast read's part months at either end of a contract's dates (starting on the 2nd, ending
on the 1st, mid-month or on a month's last day, a one-day contract); payments that another
contract's reference or link takes; officers' links; a supplier's main category off
contract. Every expected figure and sentence is worked out here from the rows written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts import selectors, services
from spend.models import Category, Payment
from tests.contracts.ledger import make_contract
from tests.payments.ledger import Row, import_rows

D = dt.date
TODAY = D(2025, 6, 15)  # the rate window: June 2024 to May 2025
DAYS_PER_MONTH = Decimal("365.25") / 12
pytestmark = pytest.mark.django_db


class Ledger:
    """Rows to import, numbered as they are added."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def pay(self, supplier: str, day: D, pence: int, **extra: Any) -> Row:
        ipid = len(self.rows) + 1
        row = Row(ipid, supplier, f"I{ipid}", day - dt.timedelta(days=9), day, pence, **extra)
        self.rows.append(row)
        return row

    def monthly(self, supplier: str, first: D, months: int, pence: int) -> None:
        """``pence`` on the 10th of each of ``months`` months from ``first``."""
        for m in range(months):
            index = first.month - 1 + m
            self.pay(supplier, D(first.year + index // 12, index % 12 + 1, 10), pence)


def days_to_reach(remaining_pence: int, rate: Decimal) -> int:
    """Days from today until the remaining value is spent at ``rate`` pence a month
    (365.25 / 12 days a month, rounded up to a whole day)."""
    return int((Decimal(remaining_pence) / rate * DAYS_PER_MONTH).to_integral_value(ROUND_CEILING))


def spend_at_end(spend_pence: int, rate: Decimal, end: D) -> int:
    months_left = Decimal((end - TODAY).days) / DAYS_PER_MONTH
    return spend_pence + int((rate * months_left).to_integral_value(ROUND_HALF_UP))


def warning_reached(on: D, end: D) -> str:
    return (
        f"At the current rate spend will reach the awarded value on {on.day} {on:%B %Y}, "
        f"before the contract ends on {end.day} {end:%B %Y}: "
        "a contract change is likely to be needed."
    )


# --- The projection -------------------------------------------------------------------------


def test_an_ended_contract_is_not_projected(tmp_path: Path) -> None:
    """An ended contract spends no more: the page says so rather than a date or an amount
    at the end date."""
    ledger = Ledger()
    ledger.monthly("901", D(2024, 4, 1), 12, 100_000)  # April 2024 to March 2025
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-END", "901", D(2024, 4, 1), D(2025, 3, 31))
    spend = selectors.contract_spend(contract, today=TODAY)
    assert spend.spend_pence == 12 * 100_000
    assert spend.remaining_pence == 10_000_000 - 12 * 100_000
    projection = spend.projection
    assert projection is not None
    # The window stops at the end: June 2024 to March 2025, ten whole months.
    assert (projection.rate_from, projection.rate_to, projection.rate_months) == (
        D(2024, 6, 1),
        D(2025, 3, 1),
        10,
    )
    assert projection.rate_pence == Decimal(10 * 100_000) / 10
    assert projection.note == "The contract has ended: nothing to project."
    assert (projection.reached_on, projection.spend_at_end_pence, projection.warning) == (
        None,
        None,
        "",
    )


def test_a_contract_ending_today_is_still_projected_to_its_end(tmp_path: Path) -> None:
    """On its last day the contract has not ended: spend by the end date is spend to date
    (no day is left), and no note says it has ended."""
    ledger = Ledger()
    ledger.monthly("902", D(2024, 4, 1), 14, 100_000)  # April 2024 to May 2025
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-TODAY", "902", D(2024, 4, 1), TODAY)
    spend = selectors.contract_spend(contract, today=TODAY)
    projection = spend.projection
    assert projection is not None
    rate = Decimal(12 * 100_000) / 12
    assert projection.rate_pence == rate
    assert projection.note == ""
    assert projection.warning == ""  # reached long after today
    assert projection.reached_on == TODAY + dt.timedelta(
        days=days_to_reach(10_000_000 - 14 * 100_000, rate)
    )
    assert projection.spend_at_end_pence == 14 * 100_000


def test_a_nil_value_has_nothing_to_project_against_and_no_warning(tmp_path: Path) -> None:
    """A nil awarded value (not recorded as a sum) is not "passed" by any spend."""
    ledger = Ledger()
    ledger.monthly("903", D(2024, 4, 1), 14, 100_000)
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-NIL", "903", D(2024, 4, 1), D(2026, 3, 31), value="0.00")
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    assert projection.note == "The awarded value is nil: there is nothing to project against."
    assert projection.warning == ""
    assert projection.reached_on is None


def test_a_penny_value_is_a_value_and_spend_past_it_warns(tmp_path: Path) -> None:
    """A value of one penny is a value: spend past it is a change to the contract."""
    ledger = Ledger()
    ledger.monthly("904", D(2024, 4, 1), 14, 100_000)
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-PENNY", "904", D(2024, 4, 1), D(2026, 3, 31), value="0.01")
    spend = selectors.contract_spend(contract, today=TODAY)
    projection = spend.projection
    assert projection is not None
    over = Decimal(14 * 100_000 - 1) / 100
    assert projection.warning == (
        f"Spend has passed the awarded value by £{over:,.2f}: "
        "a contract change is likely to be needed."
    )
    assert projection.note == ""
    assert projection.reached_on is None
    assert spend.remaining_pence == 1 - 14 * 100_000


def test_spend_equal_to_the_value_has_not_passed_it(tmp_path: Path) -> None:
    """Spend exactly at the value has not passed it: the value is reached today, which is
    before the end, so the change warning is the one about reaching it, not passing it."""
    ledger = Ledger()
    ledger.monthly("905", D(2024, 4, 1), 14, 100_000)
    import_rows(tmp_path, ledger.rows)
    end = D(2026, 3, 31)
    contract = make_contract("K-EQUAL", "905", D(2024, 4, 1), end, value="14000.00")
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    assert projection.reached_on == TODAY
    assert projection.warning == warning_reached(TODAY, end)


def test_no_spend_in_the_rate_window(tmp_path: Path) -> None:
    """Spend only before the last twelve months: no rate, so no date and no amount at the
    end date, and the page says why."""
    ledger = Ledger()
    ledger.monthly("906", D(2024, 4, 1), 2, 100_000)  # April and May 2024
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-IDLE", "906", D(2024, 4, 1), D(2026, 3, 31))
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    assert projection.rate_pence == 0
    assert projection.note == (
        "No spend at the current rate: the awarded value will not be reached."
    )
    assert (projection.reached_on, projection.spend_at_end_pence) == (None, None)


def test_a_rate_under_a_penny_a_month_is_projected_to_the_end(tmp_path: Path) -> None:
    """A penny in twelve months is a rate: spend by the end date is projected from it."""
    ledger = Ledger()
    ledger.pay("907", D(2024, 7, 3), 1)
    import_rows(tmp_path, ledger.rows)
    end = D(2026, 3, 31)
    contract = make_contract("K-SLOW", "907", D(2024, 4, 1), end, value="1.00")
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    rate = Decimal(1) / 12
    assert projection.spend_at_end_pence == spend_at_end(1, rate, end)
    assert projection.spend_at_end_pence == 2  # 289 days at 1/12p a month: 0.79p, rounded


@pytest.mark.parametrize("extra_pence", [0, 1])
def test_a_date_exactly_100_years_away_is_shown_and_beyond_it_is_not(
    tmp_path: Path, extra_pence: int
) -> None:
    """100 years to the day is the last date worth showing; a penny more is "not for 100
    years"."""
    ledger = Ledger()
    ledger.monthly("908", D(2024, 6, 1), 12, 100)  # £1 a month in the window
    import_rows(tmp_path, ledger.rows)
    end = D(2199, 3, 31)
    value_pence = 1_200 + 1_200 * 100 + extra_pence  # 1,200 months at £1 left (+ a penny)
    contract = make_contract(
        "K-CENTURY", "908", D(2024, 6, 1), end, value=f"{Decimal(value_pence) / 100}"
    )
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    days = days_to_reach(value_pence - 1_200, Decimal(100))
    assert days == 36_525 + extra_pence  # 1,200 months of 365.25 / 12 days, and a part day
    if extra_pence:
        assert projection.reached_on is None
        assert projection.note == (
            "At the current rate the awarded value would not be reached for 100 years."
        )
        assert projection.warning == ""
    else:
        reached = TODAY + dt.timedelta(days=days)
        assert projection.reached_on == reached
        assert projection.note == ""
        assert projection.warning == warning_reached(reached, end)


def test_reaching_the_value_on_the_end_date_warns(tmp_path: Path) -> None:
    """Reaching the value on the last day is reaching it before the contract ends: the
    officer is warned a change is likely to be needed."""
    ledger = Ledger()
    ledger.monthly("909", D(2024, 6, 1), 12, 100)  # £1 a month
    import_rows(tmp_path, ledger.rows)
    days = days_to_reach(1_200, Decimal(100))  # twelve months at £1 left
    assert days == 366
    end = TODAY + dt.timedelta(days=days)
    contract = make_contract("K-LAST", "909", D(2024, 6, 1), end, value="24.00")
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    assert projection.reached_on == end
    assert projection.warning == warning_reached(end, end)


def test_no_end_date_recorded(tmp_path: Path) -> None:
    """With no end date there is no spend to the end: the note says why."""
    ledger = Ledger()
    ledger.monthly("910", D(2024, 4, 1), 14, 100_000)
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-OPEN", "910", D(2024, 4, 1), None)
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    rate = Decimal(100_000)
    assert projection.reached_on == TODAY + dt.timedelta(
        days=days_to_reach(10_000_000 - 14 * 100_000, rate)
    )
    assert projection.note == (
        "The end date is not recorded, so spend to the end cannot be projected."
    )
    assert (projection.spend_at_end_pence, projection.warning) == (None, "")


@pytest.mark.parametrize("start", [D(2025, 3, 1), D(2025, 4, 1)])
def test_three_whole_months_are_enough_to_project_from(tmp_path: Path, start: D) -> None:
    """March to May 2025 is three whole months: a rate. From April, two: too few."""
    ledger = Ledger()
    ledger.monthly("911", D(2025, 3, 1), 3, 100_000)
    import_rows(tmp_path, ledger.rows)
    contract = make_contract("K-NEW", "911", start, D(2026, 3, 31))
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    months = (2025 - start.year) * 12 + 5 - start.month + 1
    assert projection.rate_months == months
    if months >= 3:
        assert projection.rate_pence == Decimal(3 * 100_000) / 3
        assert projection.note == ""
    else:
        assert projection.rate_pence is None
        assert projection.note == (
            "Fewer than 3 whole months of the contract have passed, too few to project from."
        )


# --- The fast read's part months ------------------------------------------------------------

# reference: (supplier, start, end). Each ends or starts where a whole month meets a part one.
EDGES: dict[str, tuple[str, D, D]] = {
    "E-2ND": ("921", D(2024, 7, 2), D(2026, 3, 31)),  # starts on the 2nd; today mid-month
    "E-1ST": ("922", D(2024, 5, 1), D(2025, 3, 1)),  # ends on the 1st of a month
    "E-MID": ("923", D(2024, 5, 1), D(2025, 2, 14)),  # ends mid-month
    "E-EOM": ("924", D(2024, 5, 1), D(2025, 4, 30)),  # ends on a month's last day
    "E-DAY": ("925", D(2025, 1, 15), D(2025, 1, 15)),  # ended early on its first day
}


def edge_ledger() -> Ledger:
    ledger = Ledger()
    for supplier, days in {
        "921": [
            D(2024, 7, 1),  # the day before the start
            D(2024, 7, 2),
            D(2024, 7, 31),  # the start's part month, its last day
            D(2024, 8, 1),  # the first whole month, its first two days
            D(2024, 8, 2),
            D(2024, 12, 15),
            D(2025, 5, 31),  # the last whole month
            D(2025, 6, 1),  # today's part month
            D(2025, 6, 2),
            D(2025, 6, 14),
            D(2025, 6, 16),  # after today
        ],
        "922": [D(2024, 5, 1), D(2025, 2, 28), D(2025, 3, 1), D(2025, 3, 2)],
        "923": [D(2024, 5, 1), D(2025, 1, 31), D(2025, 2, 1), D(2025, 2, 14), D(2025, 2, 15)],
        "924": [D(2024, 5, 1), D(2025, 4, 1), D(2025, 4, 2), D(2025, 4, 30), D(2025, 5, 1)],
        "925": [D(2025, 1, 14), D(2025, 1, 15), D(2025, 1, 16)],
    }.items():
        for n, day in enumerate(days):
            ledger.pay(supplier, day, 10_000 + 100 * n + day.day)
    return ledger


def fy_of(day: D) -> int:
    return day.year if day.month >= 4 else day.year - 1


@pytest.mark.parametrize("reference", list(EDGES))
def test_part_months_at_either_end_count_each_payment_once(tmp_path: Path, reference: str) -> None:
    """The contract page reads whole months from the summary and part months from the
    payments: a payment on the first or last day of a part month, or just outside the dates,
    counts as the rule says (the supplier's, from the start to the end or today), once."""
    ledger = edge_ledger()
    import_rows(tmp_path, ledger.rows)
    supplier, start, end = EDGES[reference]
    if start == end:
        contract = make_contract(reference, supplier, start, D(2026, 3, 31))
        services.contract_end(contract=contract, ended_on=end, reason="Withdrawn", user=None)
    else:
        contract = make_contract(reference, supplier, start, end)
    months: dict[D, int] = defaultdict(int)
    years: dict[int, int] = defaultdict(int)
    counted = 0
    for r in ledger.rows:
        if r.supplier == supplier and start <= r.paid <= min(end, TODAY):
            months[r.paid.replace(day=1)] += r.pence
            years[fy_of(r.paid)] += r.pence
            counted += 1
    assert counted >= 1
    spend = selectors.contract_spend(contract, today=TODAY)
    assert spend.spend_pence == sum(months.values())
    assert [(m.period, m.spend_pence) for m in spend.months] == sorted(months.items())
    running, by_year = 0, []
    for year, pence in sorted(years.items()):
        running += pence
        by_year.append((year, pence, running))
    assert [(y.period, y.spend_pence, y.cumulative_pence) for y in spend.years] == by_year
    rules = {r.rule: (r.spend_pence, r.payments) for r in spend.rules}
    assert rules[selectors.RULE_SUPPLIER] == (sum(months.values()), counted)
    # The payments list under the contract is the same payments.
    listed = selectors.payments_for_contract(contract, today=TODAY)
    assert sorted(p.amount_pence for p in listed) == sorted(
        r.pence
        for r in ledger.rows
        if r.supplier == supplier and start <= r.paid <= min(end, TODAY)
    )


# --- Payments another contract takes; officers' links --------------------------------------


def test_a_payment_another_contract_takes_is_not_this_ones(tmp_path: Path) -> None:
    """A payment to this contract's supplier within its dates is not its spend when it
    carries another contract's reference or an officer linked it to another contract: an
    officer's link or a reference says which contract it was paid under."""
    ledger = Ledger()
    plain = [ledger.pay("931", D(2024, 6 + n, 10), 10_000 + n) for n in range(3)]
    referenced = ledger.pay("931", D(2024, 7, 12), 55_000, order="R-OTHER")
    linked = ledger.pay("931", D(2024, 8, 13), 66_000)
    other_own = ledger.pay("932", D(2024, 9, 14), 77_000)
    import_rows(tmp_path, ledger.rows)
    own = make_contract("R-OWN", "931", D(2024, 5, 1), D(2026, 3, 31))
    other = make_contract("R-OTHER", "932", D(2024, 5, 1), D(2026, 3, 31))
    services.payment_link(
        contract=other,
        payment=Payment.objects.get(invoice_number=linked.invoice),
        reason="Call-off",
        user=None,
    )

    rows = selectors.payments_for_contract(own, today=TODAY)
    assert {p.invoice_number: p.matched_by for p in rows} == {
        r.invoice: selectors.RULE_SUPPLIER for r in plain
    }
    own_spend = sum(r.pence for r in plain)
    assert selectors.contract_spend(own, today=TODAY).spend_pence == own_spend
    other_rows = {
        r.invoice: (r.pence, rule)
        for r, rule in [
            (referenced, selectors.RULE_REFERENCE),
            (linked, selectors.RULE_LINK),
            (other_own, selectors.RULE_SUPPLIER),
        ]
    }
    assert {
        p.invoice_number: (p.amount_pence, p.matched_by)
        for p in selectors.payments_for_contract(other, today=TODAY)
    } == other_rows
    # The register's spend column: the same figures.
    other_spend = sum(pence for pence, _ in other_rows.values())
    assert selectors.contracts_spend_to_date([own.pk, other.pk], today=TODAY) == {
        own.pk: own_spend,
        other.pk: other_spend,
    }

    # The contract page lists the officers' links only where there are any.
    other_figures = selectors.contract_spend(other, today=TODAY)
    assert other_figures.links == 1
    for given in (None, other_figures):
        listed = list(selectors.contract_payment_links(other, given))
        assert [(link.payment.invoice_number, link.reason) for link in listed] == [
            (linked.invoice, "Call-off")
        ]
    own_figures = selectors.contract_spend(own, today=TODAY)
    assert own_figures.links == 0
    assert list(selectors.contract_payment_links(own, own_figures)) == []


# --- Off contract ---------------------------------------------------------------------------


def test_an_off_contract_suppliers_main_category_is_its_biggest(tmp_path: Path) -> None:
    """The committee report names each off-contract supplier's main category: where most of
    its spend went."""
    ledger = Ledger()
    ledger.pay("941", D(2024, 6, 3), 300_000, account="55100")  # adult social care
    ledger.pay("941", D(2024, 7, 3), 700_000, account="52900")  # professional services
    import_rows(tmp_path, ledger.rows)
    care = Category.objects.get(rules__account_prefix="551")
    professional = Category.objects.get(rules__account_prefix="529")
    [row] = selectors.spend_without_contract(fy=2024).suppliers
    assert row.spend_pence == 1_000_000
    assert [(c.name, c.spend_pence) for c in row.categories] == [
        (professional.name, 700_000),
        (care.name, 300_000),
    ]
    assert row.main_category == professional.name
