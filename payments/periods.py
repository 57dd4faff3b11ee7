"""Reporting periods of the payments compliance notice (Procurement Act 2023 s.69(3)).

s.69 came into force in England on 1 January 2026 (SI 2025/1316), so the first period ran
1 January to 31 March 2026; after it, 1 April to 30 September and 1 October to 31 March.
Periods before 2026 are the same six-month halves, computed only as what a notice "would have
been", for comparison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FIRST_STATUTORY_START = dt.date(2026, 1, 1)
FIRST_STATUTORY_END = dt.date(2026, 3, 31)
# A notice is due within 30 days beginning with the period's last day (s.69(1)).
DAYS_TO_PUBLISH = 30


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def statutory(self) -> bool:
        """A period the council must publish a notice for (not a "would have been")."""
        return self.start >= FIRST_STATUTORY_START

    @property
    def slug(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    @property
    def due_by(self) -> dt.date:
        return self.end + dt.timedelta(days=DAYS_TO_PUBLISH - 1)


def _half_containing(day: dt.date) -> Period:
    if 4 <= day.month <= 9:
        return Period(dt.date(day.year, 4, 1), dt.date(day.year, 9, 30))
    year = day.year if day.month >= 10 else day.year - 1
    return Period(dt.date(year, 10, 1), dt.date(year + 1, 3, 31))


def period_starting(start: dt.date) -> Period:
    """The period that begins on ``start``; ValueError (in words) if none does."""
    if start == FIRST_STATUTORY_START:
        return Period(FIRST_STATUTORY_START, FIRST_STATUTORY_END)
    if start.day == 1 and start.month in (4, 10):
        return _half_containing(start)
    raise ValueError(
        f"No reporting period starts on {start:%-d %B %Y}: periods start on 1 April or "
        "1 October (and the first statutory one on 1 January 2026)."
    )


def periods_between(first: dt.date, last: dt.date) -> list[Period]:
    """Every period with a day between ``first`` and ``last``, newest first.

    From 2026 the statutory periods; the October 2025 to March 2026 half is listed too, as a
    "would have been" for comparison with the shorter first statutory period."""
    periods: list[Period] = []
    current = _half_containing(first)
    while current.start <= last:
        periods.append(current)
        if current.start == dt.date(2025, 10, 1):
            periods.append(Period(FIRST_STATUTORY_START, FIRST_STATUTORY_END))
        current = _half_containing(current.end + dt.timedelta(days=1))
    return sorted(periods, key=lambda p: (p.end, p.start), reverse=True)
