"""Reporting periods of the payments compliance notice (s.69(3); first period 1 Jan 2026)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from payments.periods import period_starting, periods_between

D = dt.date


def test_first_statutory_period_and_the_halves_after() -> None:
    first = period_starting(D(2026, 1, 1))
    assert (first.start, first.end, first.statutory) == (D(2026, 1, 1), D(2026, 3, 31), True)
    assert first.due_by == D(2026, 4, 29)  # 30 days beginning with 31 March
    summer = period_starting(D(2026, 4, 1))
    assert (summer.end, summer.statutory) == (D(2026, 9, 30), True)
    winter = period_starting(D(2026, 10, 1))
    assert winter.end == D(2027, 3, 31)


def test_before_2026_would_have_been() -> None:
    earlier = period_starting(D(2025, 10, 1))
    assert (earlier.end, earlier.statutory) == (D(2026, 3, 31), False)
    assert not period_starting(D(2024, 4, 1)).statutory


def test_no_period_starts_on_other_days() -> None:
    with pytest.raises(ValueError, match="periods start on 1 April or 1 October"):
        period_starting(D(2026, 2, 1))
    with pytest.raises(ValueError, match="No reporting period starts on 1 January 2025"):
        period_starting(D(2025, 1, 1))


def test_periods_between_lists_the_first_statutory_one_beside_its_half() -> None:
    found = periods_between(D(2025, 5, 3), D(2026, 4, 2))
    assert [(p.start, p.end) for p in found] == [
        (D(2026, 4, 1), D(2026, 9, 30)),
        (D(2026, 1, 1), D(2026, 3, 31)),
        (D(2025, 10, 1), D(2026, 3, 31)),
        (D(2025, 4, 1), D(2025, 9, 30)),
    ]


# Each six-month half by the months in it (April to September, October to March).
HALVES = {4: (4, 9), 5: (4, 9), 9: (4, 9), 10: (10, 3), 12: (10, 3), 1: (10, 3), 3: (10, 3)}


@pytest.mark.parametrize("month", sorted(HALVES))
@pytest.mark.parametrize("day_of_month", [1, 28])
def test_every_day_falls_in_the_half_of_its_month(month: int, day_of_month: int) -> None:
    day = D(2024, month, day_of_month)
    first_month, last_month = HALVES[month]
    start_year = 2024 if month >= first_month else 2023
    end_year = start_year + (last_month < first_month)
    last_day = 30 if last_month == 9 else 31
    [period] = periods_between(day, day)
    assert (period.start, period.end) == (
        D(start_year, first_month, 1),
        D(end_year, last_month, last_day),
    )
    assert not period.statutory


def test_a_period_is_named_and_addressed_by_its_days() -> None:
    period = period_starting(D(2026, 4, 1))
    assert period.label == "1 April 2026 to 30 September 2026"
    assert period.slug == "2026-04-01"
    assert period.due_by == D(2026, 10, 29)  # 30 days beginning with 30 September
    assert period_starting(D(2026, 10, 1)).due_by == D(2027, 4, 29)


def test_the_first_statutory_period_begins_on_1_january_2026_exactly() -> None:
    assert period_starting(D(2026, 1, 1)).statutory
    assert not period_starting(D(2025, 10, 1)).statutory
    assert period_starting(D(2026, 4, 1)).statutory


def test_periods_between_includes_the_periods_at_both_ends() -> None:
    # ``first`` on a half's last day and ``last`` on the next half's first day: both halves.
    found = periods_between(D(2024, 9, 30), D(2024, 10, 1))
    assert [(p.start, p.end) for p in found] == [
        (D(2024, 10, 1), D(2025, 3, 31)),
        (D(2024, 4, 1), D(2024, 9, 30)),
    ]
    assert [p.start for p in periods_between(D(2024, 4, 1), D(2024, 9, 30))] == [D(2024, 4, 1)]


def test_a_period_is_a_value_that_keys_figures_and_cannot_be_changed() -> None:
    notices = {period_starting(D(2026, 4, 1)): "approved"}
    assert notices[periods_between(D(2026, 5, 1), D(2026, 5, 1))[0]] == "approved"
    with pytest.raises(dataclasses.FrozenInstanceError):
        period_starting(D(2026, 4, 1)).start = D(2026, 5, 1)  # type: ignore[misc]
