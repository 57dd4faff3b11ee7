"""Calendar quarters of the register's publication and the financial years beside them: the
codes officers type, each quarter's first and last day, the quarter due for publication, and
the April-to-March year. Expected days come from the calendar module, not from the code."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re

import pytest

from portal.periods import Quarter, fy_months, fy_start
from portal.periods import financial_year_label as fy_label
from portal.periods import financial_year_of as fy_of

D = dt.date
MONTHS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}


@pytest.mark.parametrize(
    "text", ["2024Q3", "2024q3", " 2024Q3 ", "2024-Q3", "2024 - q3", "2024 Q3"]
)
def test_a_quarter_is_read_however_officers_write_it(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2024, 3)


@pytest.mark.parametrize("text", ["2024Q0", "2024Q5", "24Q1", "2024Q1x", "x2024Q1", "Q1 2024", ""])
def test_anything_else_is_refused_with_how_to_write_it(text: str) -> None:
    message = f"'{text}' is not a quarter; write it like 2024Q1 (January to March)."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Quarter.parse(text)


@pytest.mark.parametrize("year", [2023, 2024])  # 2024 is a leap year: 29 February
@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_each_quarter_runs_from_its_first_to_its_last_day(year: int, number: int) -> None:
    first_month, last_month = MONTHS[number]
    first = D(year, first_month, 1)
    last = D(year, last_month, calendar.monthrange(year, last_month)[1])
    quarter = Quarter(year, number)
    assert (quarter.start, quarter.end) == (first, last)
    assert quarter.code == f"{year}Q{number}"
    assert quarter.label == (
        f"{calendar.month_name[first_month]} to {calendar.month_name[last_month]} {year}"
    )
    # Every day from the first to the last is in it; the days either side are not.
    assert Quarter.containing(first) == quarter == Quarter.containing(last)
    assert Quarter.containing(first + (last - first) // 2) == quarter
    assert Quarter.containing(first - dt.timedelta(days=1)) != quarter
    assert Quarter.containing(last + dt.timedelta(days=1)) != quarter


def test_the_next_quarter_after_the_fourth_is_the_first_of_the_next_year() -> None:
    assert Quarter(2024, 1).next() == Quarter(2024, 2)
    assert Quarter(2024, 3).next() == Quarter(2024, 4)
    assert Quarter(2024, 4).next() == Quarter(2025, 1)
    assert Quarter(2024, 4).end == D(2024, 12, 31)


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (D(2024, 4, 1), Quarter(2024, 1)),  # the first day of a quarter: the last one has ended
        (D(2024, 3, 31), Quarter(2023, 4)),  # the last day: this one has not ended yet
        (D(2024, 6, 30), Quarter(2024, 1)),
        (D(2024, 1, 15), Quarter(2023, 4)),
        (D(2024, 12, 31), Quarter(2024, 3)),
    ],
)
def test_the_quarter_due_for_publication_is_the_last_that_has_ended(
    day: dt.date, due: Quarter
) -> None:
    assert Quarter.previous(day) == due
    assert due.end < day <= due.next().end


def test_quarters_sort_by_year_then_number() -> None:
    assert sorted([Quarter(2024, 2), Quarter(2023, 4), Quarter(2024, 1)]) == [
        Quarter(2023, 4),
        Quarter(2024, 1),
        Quarter(2024, 2),
    ]


@pytest.mark.parametrize(
    ("day", "fy"),
    [(D(2024, 3, 31), 2023), (D(2024, 4, 1), 2024), (D(2024, 12, 31), 2024), (D(2025, 1, 1), 2024)],
)
def test_the_financial_year_runs_from_1_april(day: dt.date, fy: int) -> None:
    assert fy_of(day) == fy
    assert fy_start(fy) == D(fy, 4, 1)
    assert fy_start(fy) <= day < fy_start(fy + 1)


def test_a_financial_years_months_are_april_to_march() -> None:
    expected = [D(2023, month, 1) for month in range(4, 13)] + [
        D(2024, month, 1) for month in range(1, 4)
    ]
    assert fy_months(2023) == expected


@pytest.mark.parametrize(("fy", "label"), [(2023, "2023/24"), (1999, "1999/00"), (2008, "2008/09")])
def test_a_financial_year_is_written_with_both_years(fy: int, label: str) -> None:
    assert fy_label(fy) == label


def test_a_quarter_is_a_value_that_keys_figures_and_cannot_be_changed() -> None:
    figures = {Quarter(2024, 1): 3}
    figures[Quarter.parse("2024Q1")] += 1  # the same quarter, however it was made
    assert figures == {Quarter(2024, 1): 4}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Quarter(2024, 1).number = 2  # type: ignore[misc]
