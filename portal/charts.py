"""Server-rendered SVG charts (pygal) for pages and PDF reports.

Each chart is a complete inline ``<svg role="img">`` with a ``<title>`` and an ``aria-label``
(its title and a one-line summary), no script and no external stylesheet, so it renders
the same in a browser with JavaScript off and in WeasyPrint. A page always follows a chart
with the same figures as a table: the chart is a picture of the table, never the only copy.

Values arrive as integer pence (money) or whole percentages; pygal draws them as pounds.
Rendered SVG is cached by its content, so a dashboard does not redraw an unchanged chart.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Sequence
from typing import Any

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString
from pygal.style import Style

from portal.csp import NoncedMarkup
from portal.money import whole_pounds

CACHE_SECONDS = 24 * 60 * 60
# GOV.UK palette: blue, then colours distinguishable from it and from each other.
COLOURS = ("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#505a5f")
FONT = "Arial, Helvetica, sans-serif"

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    value_label_font_family=FONT,
    tooltip_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    no_data_font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=16,
    guide_stroke_color="#b1b4b6",
    major_guide_stroke_color="#b1b4b6",
)

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_OPACITY_STYLE = re.compile(r'style="opacity: ?([0-9.]+);?"')
_ID = re.compile(r"[^a-z0-9-]")


def _money_label(pounds: float | None) -> str:
    if pounds is None:
        return ""
    value = round(pounds)
    return f"-£{-value:,}" if value < 0 else f"£{value:,}"


def _percent_label(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _finish(
    svg: str, chart: pygal.graph.graph.Graph, chart_id: str, title: str, summary: str
) -> SafeString:
    """Make pygal's output a self-contained, labelled image with a stable id."""
    svg = _SCRIPT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    # The same as a presentation attribute: the Content-Security-Policy refuses style attributes.
    svg = _OPACITY_STYLE.sub(r'opacity="\1"', svg)
    svg = svg.replace(chart.uuid, chart_id)
    label = html.escape(f"{title}. {summary}".strip(". ") if summary else title, quote=True)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1)
    svg = re.sub(r"(<svg\b[^>]*>)", rf"\1<title>{label}</title>", svg, count=1)
    # Its <style> gets the page's Content-Security-Policy nonce when rendered (portal.csp).
    return NoncedMarkup(svg)  # built here from escaped text and pygal's own markup


def _render(
    kind: str,
    chart_id: str,
    title: str,
    summary: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    money: bool,
    width: int,
    height: int,
    rotate: int,
) -> SafeString:
    chart_id = _ID.sub("-", chart_id.lower())
    key_source = json.dumps(
        [
            "v3",
            kind,
            chart_id,
            title,
            summary,
            list(labels),
            [(n, list(v)) for n, v in series],
            money,
            width,
            height,
            rotate,
        ]
    )
    key = "portal-chart:" + hashlib.sha256(key_source.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return NoncedMarkup(cached)  # rendered by _finish
    options: dict[str, Any] = {
        "disable_xml_declaration": True,
        "js": [],
        "style": STYLE,
        "width": width,
        "height": height,
        "show_legend": len(series) > 1,
        "legend_at_bottom": True,
        "explicit_size": False,
        "x_label_rotation": rotate,
        "truncate_label": -1,
        "truncate_legend": -1,
        "value_formatter": _money_label if money else _percent_label,
        "print_values": False,
        "margin": 16,
        "spacing": 12,
        "include_x_axis": True,
    }
    if kind == "bar" and sum(len(label) for label in labels) > 90:
        # Long category names under vertical bars run into each other: slant them.
        options["x_label_rotation"] = max(rotate, 30)
    if kind == "hbar":
        # The value axis runs across: a few major labels, or long money labels overlap.
        options.update(x_label_rotation=30)
    chart_class = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "line": pygal.Line}[kind]
    chart = chart_class(**options)
    if kind == "line":
        chart.config.dots_size = 4
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    rendered = _finish(chart.render(is_unicode=True), chart, chart_id, title, summary)
    cache.set(key, str(rendered), CACHE_SECONDS)
    return rendered


def money_bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values_pence: Sequence[int],
    summary: str = "",
    horizontal: bool = False,
    width: int = 800,
    height: int = 360,
) -> SafeString:
    """Bars of money, one per label (drawn in whole pounds)."""
    values = [float(whole_pounds(v)) for v in values_pence]
    rotate = 0 if horizontal or len(labels) <= 12 else 45
    return _render(
        "hbar" if horizontal else "bar",
        chart_id,
        title,
        summary,
        labels,
        [(title, values)],
        money=True,
        width=width,
        height=height,
        rotate=rotate,
    )


def percent_line_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    summary: str = "",
    width: int = 800,
    height: int = 360,
) -> SafeString:
    """Lines of whole percentages (None leaves a gap: a year with no figure)."""
    as_float = [
        (name, [None if v is None else float(v) for v in values]) for name, values in series
    ]
    return _render(
        "line",
        chart_id,
        title,
        summary,
        labels,
        as_float,
        money=False,
        width=width,
        height=height,
        rotate=0,
    )
