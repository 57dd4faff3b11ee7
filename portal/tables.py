"""The table columns every table uses (django-tables2, GOV.UK markup): money, percentages,
counts, right-aligned as figures. On screen a figure prints as the report prints it; in an
export it is a number (pounds with two decimals, a whole percentage, a count)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.utils.html import format_html

from portal.formatting import DASH, percent_text, pounds, pounds_pence
from portal.money import pounds_decimal

TEMPLATE = "portal/tables/govuk_table.html"
NUMERIC = {
    "th": {"class": "govuk-table__header--numeric"},
    "td": {"class": "govuk-table__cell--numeric portal-numeric"},
}


class PenceColumn(tables.Column):
    """Integer pence: whole pounds on screen (pounds and pence with ``exact``), pounds with
    two decimals in exports; ``missing`` in exports where there is no figure.

    ``link`` is a callable record → URL of what is behind the figure (the payments)."""

    def __init__(
        self,
        *args: Any,
        link: Any = None,
        exact: bool = False,
        missing: str = DASH,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        kwargs.setdefault("empty_values", ())
        self.link = link
        self.exact = exact
        self.missing = missing
        super().__init__(*args, **kwargs)

    def render(self, value: int | None, record: Any) -> str:
        text = pounds_pence(value) if self.exact else pounds(value)
        if self.link is not None and value is not None:
            url = self.link(record)
            if url:
                return format_html('<a class="govuk-link" href="{}">{}</a>', url, text)
        return text

    def value(self, value: int | None) -> Decimal | str:
        return self.missing if value is None else pounds_decimal(value)


class PoundsColumn(tables.Column):
    """A Decimal in pounds (a contract's value): pounds and pence on screen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        super().__init__(*args, **kwargs)

    def render(self, value: Decimal | None) -> str:
        return "" if value is None else f"£{value:,.2f}"

    def value(self, value: Decimal | None) -> str:
        return "" if value is None else str(value)


class PercentColumn(tables.Column):
    """A whole percentage; "-" where there is none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        kwargs.setdefault("empty_values", ())
        super().__init__(*args, **kwargs)

    def render(self, value: int | None) -> str:
        return percent_text(value)

    def value(self, value: int | None) -> int | str:
        return DASH if value is None else value


class CountColumn(tables.Column):
    """A count, with thousands separators on screen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        super().__init__(*args, **kwargs)

    def render(self, value: int) -> str:
        return f"{value:,}"

    def value(self, value: int) -> int:
        return value
