"""The projection of when a contract's value is reached, at the smallest rate there is: a
penny in the last twelve months is a rate, however slow, not "no spend". The date is worked
out here from the penny, the value and the calendar's 365.25 days a year."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from contracts import selectors, services
from tests.payments.ledger import Row, import_rows

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 15)  # the rate's window: June 2024 to May 2025


def test_a_penny_in_the_rate_window_is_projected_not_called_no_spend(tmp_path: Path) -> None:
    paid = dt.date(2024, 7, 3)
    import_rows(tmp_path, [Row(1, "900", "P-1", paid - dt.timedelta(days=9), paid, 1)])
    contract = services.contract_create(
        reference="K-PENNY",
        contract={
            "title": "Contract K-PENNY",
            "description": "",
            "department": "Highways",
            "category": "",
            "procurement_route": "",
            "cpv_code": "",
            "award_date": dt.date(2024, 4, 1),
            "start_date": dt.date(2024, 4, 1),
            "end_date": dt.date(2199, 3, 31),
            "review_date": None,
            "awarded_value": Decimal("1.00"),
            "vat_not_recoverable": Decimal("0.00"),
            "framework": False,
        },
        supplier={"name": "Supplier 900", "supplier_number": "900"},
        user=None,
        draft=False,
    )
    spend = selectors.contract_spend(contract, today=TODAY)
    assert spend.spend_pence == 1
    projection = spend.projection
    assert projection is not None
    rate = Decimal(1) / 12  # a penny over twelve whole months
    assert projection.rate_pence == rate
    days = (Decimal(100 - 1) / rate * Decimal("365.25") / 12).to_integral_value(ROUND_CEILING)
    assert projection.reached_on == TODAY + dt.timedelta(days=int(days))
    assert "No spend at the current rate" not in projection.note
    # Spend by the end date at a penny a year: the rate times the months left, still a rate.
    months_left = Decimal((dt.date(2199, 3, 31) - TODAY).days) / (Decimal("365.25") / 12)
    at_end = 1 + int((rate * months_left).to_integral_value(ROUND_HALF_UP))
    assert projection.spend_at_end_pence == at_end


# What the contract page says, word for word (it shows these as they are).
ENDED = "The contract has ended: nothing to project."
NO_RATE = "No spend at the current rate: the awarded value will not be reached."
CENTURY = "At the current rate the awarded value would not be reached for 100 years."
TOO_FEW = "Fewer than 3 whole months of the contract have passed, too few to project from."
CHANGE = "a contract change is likely to be needed."
WINDOW_PENCE = 36_525  # paid in the rate window: £365.25 / 12 months, so a day is 100p


def _ledger(tmp_path: Path, *paid: tuple[str, int, dt.date]) -> None:
    """One payment to each supplier number: (number, pence, day paid)."""
    rows = [Row(int(n), n, f"P-{n}", day, day, pence) for n, pence, day in paid]
    import_rows(tmp_path, rows)


def _projection(
    number: str,
    *,
    start: dt.date = dt.date(2024, 4, 1),
    end: dt.date | None = dt.date(2199, 3, 31),
    value_pence: int,
) -> selectors.Projection:
    """The projection of a contract of ``value_pence`` awarded to supplier ``number``."""
    contract = services.contract_create(
        reference=f"K-{number}",
        contract={
            "title": f"Contract K-{number}",
            "description": "",
            "department": "Highways",
            "category": "",
            "procurement_route": "",
            "cpv_code": "",
            "award_date": start,
            "start_date": start,
            "end_date": end,
            "review_date": None,
            "awarded_value": Decimal(value_pence) / 100,
            "vat_not_recoverable": Decimal("0.00"),
            "framework": False,
        },
        supplier={"name": f"Supplier {number}", "supplier_number": number},
        user=None,
        draft=False,
    )
    projection = selectors.contract_spend(contract, today=TODAY).projection
    assert projection is not None
    return projection


def _days_to_reach(remaining_pence: int, window_pence: int, months: int = 12) -> int:
    rate = Decimal(window_pence) / months
    days = Decimal(remaining_pence) / rate * Decimal("365.25") / 12
    return int(days.to_integral_value(ROUND_CEILING))


def test_a_date_36525_days_ahead_is_shown_and_a_day_more_is_not(tmp_path: Path) -> None:
    """100 years (36,525 days) is the furthest date the page gives; beyond it, it says so."""
    remaining = 100 * 36_525
    assert _days_to_reach(remaining, WINDOW_PENCE) == 36_525
    _ledger(
        tmp_path,
        ("901", WINDOW_PENCE, dt.date(2024, 7, 3)),
        ("902", WINDOW_PENCE, dt.date(2024, 7, 3)),
    )
    at_limit = _projection("901", value_pence=WINDOW_PENCE + remaining)
    assert at_limit.reached_on == TODAY + dt.timedelta(days=36_525)
    assert _days_to_reach(remaining + 100, WINDOW_PENCE) == 36_526
    beyond = _projection("902", value_pence=WINDOW_PENCE + remaining + 100)
    assert beyond.reached_on is None
    assert beyond.note == CENTURY


def test_reaching_the_value_on_the_end_day_warns(tmp_path: Path) -> None:
    """Spend reaching the value on the day the contract ends is reaching it in time to need
    a change: the officer is warned, with both dates."""
    remaining = 10_000
    days = _days_to_reach(remaining, WINDOW_PENCE)
    end = TODAY + dt.timedelta(days=days)
    _ledger(tmp_path, ("903", WINDOW_PENCE, dt.date(2024, 7, 3)))
    projection = _projection("903", end=end, value_pence=WINDOW_PENCE + remaining)
    assert projection.reached_on == end
    on = f"{end:%-d %B %Y}"
    assert projection.warning == (
        f"At the current rate spend will reach the awarded value on {on}, "
        f"before the contract ends on {on}: {CHANGE}"
    )


def test_spend_equal_to_the_value_has_not_passed_it_and_a_penny_more_has(
    tmp_path: Path,
) -> None:
    _ledger(
        tmp_path,
        ("904", WINDOW_PENCE, dt.date(2024, 7, 3)),
        ("905", WINDOW_PENCE + 1, dt.date(2024, 7, 3)),
    )
    equal = _projection("904", value_pence=WINDOW_PENCE)
    assert not equal.warning.startswith("Spend has passed")
    assert equal.reached_on == TODAY  # reached today: nothing left to spend
    over = _projection("905", value_pence=WINDOW_PENCE)
    assert over.warning == f"Spend has passed the awarded value by £0.01: {CHANGE}"
    assert over.reached_on is None


def test_three_whole_months_are_enough_to_project_from_and_two_are_not(
    tmp_path: Path,
) -> None:
    """March to May 2025 are three whole months before 15 June: a rate; April and May are
    two: the page says why there is none."""
    paid = dt.date(2025, 4, 2)
    _ledger(tmp_path, ("906", WINDOW_PENCE, paid), ("907", WINDOW_PENCE, paid))
    three = _projection("906", start=dt.date(2025, 3, 1), value_pence=10_000_000)
    assert (three.rate_months, three.rate_from) == (3, dt.date(2025, 3, 1))
    assert three.rate_pence == Decimal(WINDOW_PENCE) / 3
    two = _projection("907", start=dt.date(2025, 4, 1), value_pence=10_000_000)
    assert (two.rate_pence, two.reached_on) == (None, None)
    assert two.note == TOO_FEW


def test_a_contract_ending_today_is_projected_and_one_ended_yesterday_is_not(
    tmp_path: Path,
) -> None:
    _ledger(
        tmp_path,
        ("908", WINDOW_PENCE, dt.date(2024, 7, 3)),
        ("909", WINDOW_PENCE, dt.date(2024, 7, 3)),
    )
    today = _projection("908", end=TODAY, value_pence=WINDOW_PENCE + 10_000)
    assert today.reached_on == TODAY + dt.timedelta(days=_days_to_reach(10_000, WINDOW_PENCE))
    assert today.note == ""
    assert today.spend_at_end_pence == WINDOW_PENCE  # no time left: what is spent already
    yesterday = _projection(
        "909", end=TODAY - dt.timedelta(days=1), value_pence=WINDOW_PENCE + 10_000
    )
    assert yesterday.reached_on is None
    assert yesterday.note == ENDED
    assert yesterday.spend_at_end_pence is None  # ended: no "spend by the end date" row


def test_no_spend_in_the_rate_window_says_the_value_will_not_be_reached(tmp_path: Path) -> None:
    """Paid only in April 2024, before the window (June 2024 to May 2025): no rate, with an
    end date recorded or not (the note says why there is no date, not that there is no end)."""
    april = dt.date(2024, 4, 10)
    _ledger(tmp_path, ("910", WINDOW_PENCE, april), ("911", WINDOW_PENCE, april))
    for number, end in (("910", dt.date(2199, 3, 31)), ("911", None)):
        projection = _projection(number, end=end, value_pence=10_000_000)
        assert projection.rate_pence == 0
        assert projection.reached_on is None
        assert projection.note == NO_RATE
        assert projection.spend_at_end_pence is None  # nothing to add at no rate
