"""``{% load report_text %}``: officers' narrative as safe HTML, and a frozen date as the web
writes dates (a final edition keeps its as-at date as ISO text)."""

import datetime as dt

from django import template
from django.utils.safestring import SafeString

from reports import narrative as narrative_text

register = template.Library()


@register.filter
def narrative(text: str) -> SafeString:
    return narrative_text.render(text or "")


@register.filter
def as_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    day = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"
