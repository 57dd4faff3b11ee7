"""Periods, the one place they are worked out: financial years (1 April to 31 March, named by
the year they start in: 2023 is 2023/24) and calendar quarters ("2024Q1" is January to March
2024).

- ``financial_year_of(day) -> int``: 31 March 2024 is in 2023, 1 April 2024 in 2024.
- ``financial_year_label(2023) -> "2023/24"``; ``fy_start``, ``fy_end``, ``fy_months``.
- ``Quarter``: calendar quarters. Publications use them, so a quarter ends on 31 March,
  30 June, 30 September or 31 December, the days the Transparency Code's quarterly register
  falls due after. (Social value returns use quarters of the financial year:
  ``socialvalue.periods.FyQuarter``, built on these.)
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

_CODE = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = _CODE.match(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a quarter; write it like 2024Q1 (January to March).")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def previous(cls, day: date) -> "Quarter":
        """The last quarter that has ended on or before ``day``."""
        return cls.containing(cls.containing(day).start - timedelta(days=1))

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        following = self.next()
        return following.start - timedelta(days=1)

    def next(self) -> "Quarter":
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    @property
    def label(self) -> str:
        return f"{self.start:%B} to {self.end:%B %Y}"


FY_FIRST_MONTH = 4  # April


def financial_year_of(day: date) -> int:
    """The financial year (by its starting year) a day falls in: 1 April to 31 March."""
    return day.year if day.month >= FY_FIRST_MONTH else day.year - 1


def financial_year_label(fy: int) -> str:
    """2023 → ``2023/24``."""
    return f"{fy}/{(fy + 1) % 100:02d}"


def fy_start(fy: int) -> date:
    return date(fy, FY_FIRST_MONTH, 1)


def fy_end(fy: int) -> date:
    return date(fy + 1, FY_FIRST_MONTH, 1) - timedelta(days=1)


def fy_months(fy: int) -> list[date]:
    """The first day of each month of financial year ``fy`` (2023 is April 2023 to March 2024)."""
    return [date(fy + (m < FY_FIRST_MONTH), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
