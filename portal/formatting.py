"""How the portal prints figures, as the council's committee report prints them.

- Money on pages: whole pounds with thousands separators, ``£849,618,863``; pence are rounded
  half up to the pound (so ``£0.50`` prints as ``£1`` and ``-£0.50`` as ``-£1``).
- Money in a list of payments: pounds and pence, ``£1,234.56``.
- Percentages: whole numbers, rounded half up (``52%``); ``-`` when there is nothing to divide;
  ``<1%`` for a share that is not nothing but rounds to 0 (a supplier's sliver is not "0%").
- Financial years: ``2023/24`` for the year starting 1 April 2023.

Figures arrive as integer pence from the selectors; nothing here touches a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from portal.money import whole_pounds
from portal.periods import financial_year_label, financial_year_of

# Printed here, worked out in portal.periods: callers may take a year's label from either.
__all__ = [
    "DASH",
    "Percent",
    "financial_year_label",
    "financial_year_of",
    "month_label",
    "month_name",
    "percent",
    "percent_text",
    "pounds",
    "pounds_pence",
]

DASH = "-"


def pounds(pence: int | None) -> str:
    """``£1,234`` (whole pounds); ``-£1,234`` for a negative sum; ``-`` for None."""
    if pence is None:
        return DASH
    value = whole_pounds(pence)
    return f"-£{-value:,}" if value < 0 else f"£{value:,}"


def pounds_pence(pence: int | None) -> str:
    """``£1,234.56``; ``-£1,234.56`` for a credit; ``-`` for None."""
    if pence is None:
        return DASH
    sign = "-" if pence < 0 else ""
    whole, rest = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{rest:02d}"


class Percent(int):
    """A whole percentage that remembers whether it is a non-zero share rounded to 0, so it
    prints as ``<1%`` (pages, reports and charts alike) while staying a number for exports."""

    below_one: bool

    def __new__(cls, value: int, below_one: bool = False) -> Percent:
        made = super().__new__(cls, value)
        made.below_one = below_one
        return made

    def __reduce__(self) -> tuple[type[Percent], tuple[int, bool]]:  # cached selectors pickle it
        return (Percent, (int(self), self.below_one))


def percent(part: int, whole: int) -> Percent | None:
    """A whole percentage, rounded half up; None when the whole is zero."""
    if whole == 0:
        return None
    value = int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))
    return Percent(value, below_one=value == 0 and part != 0)


def percent_text(value: int | None) -> str:
    """``52%``; ``<1%`` for a non-zero share that rounds to 0; ``-`` for None."""
    if value is None:
        return DASH
    return "<1%" if getattr(value, "below_one", False) else f"{value}%"


def month_label(month: dt.date) -> str:
    """``Apr-23``, as the report heads its monthly columns."""
    return f"{month:%b}-{month:%y}"


def month_name(month: dt.date) -> str:
    """``April 2023``, for sentences."""
    return f"{month:%B %Y}"
