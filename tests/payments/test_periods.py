"""Reporting periods of the payments compliance notice (s.69(3); first period 1 Jan 2026)."""

from __future__ import annotations

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
