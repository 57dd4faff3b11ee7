"""Financial years and their quarters, as social value returns use them.

Quarter 1 of financial year 2024 is April to June 2024; quarter 4 is January to March 2025.
A quarter's return is due ``RETURN_DUE_DAYS`` after the quarter ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.formatting import financial_year_label, financial_year_of

RETURN_DUE_DAYS = 30

__all__ = ["RETURN_DUE_DAYS", "FyQuarter", "financial_year_label", "financial_year_of"]


@dataclass(frozen=True, order=True)
class FyQuarter:
    fy: int
    quarter: int

    @property
    def start(self) -> dt.date:
        month = 4 + 3 * (self.quarter - 1)
        return dt.date(self.fy + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        following = (
            FyQuarter(self.fy + 1, 1) if self.quarter == 4 else FyQuarter(self.fy, self.quarter + 1)
        )
        return following.start - dt.timedelta(days=1)

    @property
    def due(self) -> dt.date:
        return self.end + dt.timedelta(days=RETURN_DUE_DAYS)

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {financial_year_label(self.fy)}"

    @property
    def months(self) -> str:
        return f"{self.start:%B} to {self.end:%B %Y}"

    @classmethod
    def containing(cls, day: dt.date) -> FyQuarter:
        fy = financial_year_of(day)
        month = day.month - 4 if day.month >= 4 else day.month + 8
        return cls(fy, month // 3 + 1)

    @classmethod
    def of_year(cls, fy: int) -> list[FyQuarter]:
        return [cls(fy, q) for q in (1, 2, 3, 4)]
