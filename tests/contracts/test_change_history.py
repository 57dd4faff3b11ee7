"""A contract's changes tested cumulatively (PA 2023 s.75): over 10% of the value at award (15%
for works) or over 10% of the term needs a change notice; increases and decreases both count.
Every percentage is worked out here from the changes the test records (to 0.1, half up)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from contracts import selectors
from contracts.models import Contract, ContractChange, MainCategory

pytestmark = pytest.mark.django_db

START = dt.date(2024, 4, 1)
END = dt.date(2026, 3, 31)
TODAY = dt.date(2025, 1, 15)


def _contract(
    value: str, category: str = MainCategory.SERVICES, end: dt.date | None = END
) -> Contract:
    return Contract.objects.create(
        reference=f"LCC-{category}-{value}",
        title="Cleaning",
        department="Resources",
        award_date=START,
        start_date=START,
        end_date=end,
        awarded_value=Decimal(value),
        main_category=category,
    )


def _change(
    contract: Contract,
    before: str,
    after: str,
    end_before: dt.date | None = END,
    end_after: dt.date | None = END,
) -> None:
    ContractChange.objects.create(
        contract=contract,
        ground="Schedule 8 paragraph 5",
        value_before=Decimal(before),
        value_after=Decimal(after),
        end_before=end_before,
        end_after=end_after,
    )


def _tenth(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_value_changes_add_up_whichever_way_they_go_and_half_a_tenth_rounds_up() -> None:
    contract = _contract("100000.00")
    _change(contract, "100000.00", "105000.00")  # +5,000
    _change(contract, "105000.00", "100000.00")  # -5,000: 10% moved, not over 10%
    _change(contract, "100000.00", "100050.00")  # +50: 10.05%, which is 10.1% half up
    history = selectors.change_history(contract, today=TODAY)
    moved = [Decimal("5000"), Decimal("10000"), Decimal("10050")]
    assert [c.value_percent for c in history.changes] == [
        _tenth(m, Decimal("100000")) for m in moved
    ]
    assert [c.value_percent for c in history.changes] == [
        Decimal("5.0"),
        Decimal("10.0"),
        Decimal("10.1"),
    ]
    assert [c.needs_notice for c in history.changes] == [False, False, True]
    assert "10.1%" in history.changes[2].reason
    assert history.changes[0].reason == ""
    assert history.original_value == Decimal("100000.00")
    assert history.value_limit == Decimal("10")
    assert history.needs_change_notice
    assert history.spend_over_value == ""  # nothing paid under it


def test_works_may_grow_by_15_percent_before_a_notice() -> None:
    works = _contract("200000.00", MainCategory.WORKS)
    services = _contract("200000.00", MainCategory.SERVICES)
    for contract in (works, services):
        _change(contract, "200000.00", "230000.00")  # exactly 15%
    works_history = selectors.change_history(works, today=TODAY)
    services_history = selectors.change_history(services, today=TODAY)
    assert works_history.value_limit == Decimal("15")
    assert [c.needs_notice for c in works_history.changes] == [False]
    assert not works_history.needs_change_notice
    assert [c.needs_notice for c in services_history.changes] == [True]
    _change(works, "230000.00", "230200.00")  # 15.1%
    assert [c.needs_notice for c in selectors.change_history(works, today=TODAY).changes] == [
        False,
        True,
    ]


def test_the_term_is_tested_on_the_days_the_end_date_moves() -> None:
    contract = _contract("100000.00")
    term = (END - START).days
    tenth = term // 10  # the most days that are at most 10% of the term, rounded
    within = END + dt.timedelta(days=tenth)
    _change(contract, "100000.00", "100000.00", END, within)
    # Moved back again: the days moved add up (2 x tenth), well over 10%.
    _change(contract, "100000.00", "100000.00", within, END)
    history = selectors.change_history(contract, today=TODAY)
    expected = [_tenth(Decimal(tenth), Decimal(term)), _tenth(Decimal(2 * tenth), Decimal(term))]
    assert [c.term_percent for c in history.changes] == expected
    assert expected[0] <= Decimal("10") < expected[1]
    assert [c.needs_notice for c in history.changes] == [False, True]
    assert "the term has changed by" in history.changes[1].reason
    assert history.original_end == END


def test_a_missing_end_date_means_the_term_cannot_be_tested() -> None:
    contract = _contract("100000.00", end=None)
    _change(contract, "100000.00", "101000.00", None, END)
    history = selectors.change_history(contract, today=TODAY)
    [change] = history.changes
    assert change.term_percent is None
    assert change.needs_notice
    assert "an end date is not recorded" in change.reason
    assert history.original_end is None


def test_a_contract_never_changed_has_its_award_value_and_no_notice() -> None:
    contract = _contract("50000.00")
    history = selectors.change_history(contract, today=TODAY)
    assert history.changes == []
    assert (history.original_value, history.original_end) == (Decimal("50000.00"), END)
    assert not history.needs_change_notice
