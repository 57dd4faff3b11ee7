"""Template filters for figures, in the report's style: ``{% load portal_format %}``.

``{{ total_pence|pounds }}`` → £1,234; ``{{ amount_pence|pounds_pence }}`` → £1,234.56;
``{{ share|percent }}`` → 52% (or - for None); ``{{ fy|fy_label }}`` → 2023/24;
``{{ month|month_label }}`` → Apr-23.
"""

import datetime as dt

from django import template

from portal import formatting

register = template.Library()


@register.filter
def pounds(pence: int | None) -> str:
    return formatting.pounds(pence)


@register.filter
def pounds_pence(pence: int | None) -> str:
    return formatting.pounds_pence(pence)


@register.filter
def percent(value: int | None) -> str:
    return formatting.percent_text(value)


@register.filter
def fy_label(fy: int | None) -> str:
    return "" if fy is None else formatting.financial_year_label(int(fy))


@register.filter
def month_label(month: dt.date | None) -> str:
    return "" if month is None else formatting.month_label(month)


@register.filter
def month_name(month: dt.date | None) -> str:
    return "" if month is None else formatting.month_name(month)


@register.filter
def number(value: int | None) -> str:
    """A count with thousands separators: 6,012."""
    return "" if value is None else f"{int(value):,}"


@register.filter
def pence_per_pound(value: object) -> str:
    """A ratio in pence per £1 (a Decimal): 24.57p; "-" for None."""
    return "-" if value is None else f"{value:,.2f}p"
