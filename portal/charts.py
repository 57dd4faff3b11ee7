"""Server-rendered SVG charts (pygal) for pages and PDF reports.

Each chart is a complete inline ``<svg role="img">`` with a ``<title>`` and an ``aria-label``
(its title and a one-line summary), no script and no external stylesheet, so it renders
the same in a browser with JavaScript off and in WeasyPrint. A page always follows a chart
with the same figures as a table: the chart is a picture of the table, never the only copy.

Values arrive as integer pence (money) or whole percentages; pygal draws them as pounds.
Every chart draws its title. A money axis is labelled in the unit its largest value needs
(``£1.5m``, ``£250k``, ``£900``) while each bar's own value stays exact; bars across the page
run in the order of the table below them (top to bottom); a curve whose points are not evenly
spaced (the Pareto curve) is drawn on a linear axis (``percent_xy_chart``). Percentages follow
``portal.formatting.percent_text`` (``<1%`` for a sliver).
Rendered SVG is cached by its content, so a dashboard does not redraw an unchanged chart.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pygal
from django.core.cache import cache
from django.utils.safestring import SafeString
from pygal.style import Style

from portal.csp import NoncedMarkup
from portal.formatting import Percent, percent_text
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


def money_axis_label(largest_pounds: float) -> Callable[[float | None], str]:
    """Axis labels in the unit the chart's largest value needs: millions from £1m (``£1.5m``),
    thousands from £10,000 (``£250k``), else pounds (``£900``)."""
    if largest_pounds >= 1_000_000:
        unit, suffix = Decimal(1_000_000), "m"
    elif largest_pounds >= 10_000:
        unit, suffix = Decimal(1_000), "k"
    else:
        unit, suffix = Decimal(1), ""

    def label(pounds: float | None) -> str:
        if pounds is None:
            return ""
        if pounds == 0:
            return "£0"
        scaled = abs(Decimal(str(pounds))) / unit
        text = f"{scaled:,.0f}" if unit == 1 else f"{scaled:,.1f}".removesuffix(".0")
        return f"{'-' if pounds < 0 else ''}£{text}{suffix}"

    return label


def _percent_label(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _percent_values(values: Sequence[int | None]) -> list[Any]:
    """pygal points for whole percentages, each described by the one percentage rule (so a
    sliver reads "<1%" on the chart as in the table)."""
    points: list[Any] = []
    for value in values:
        if value is None:
            points.append(None)
        else:
            text = percent_text(value)
            points.append({"value": float(value), "formatter": lambda _v, text=text: text})
    return points


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
            "v4",
            kind,
            chart_id,
            title,
            summary,
            list(labels),
            [(n, [_key(x) for x in v]) for n, v in series],
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
    largest = max(
        (abs(_number(v)) for _, values in series for v in values if v is not None), default=0
    )
    options: dict[str, Any] = {
        "title": title,
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
        "value_formatter": money_axis_label(largest) if money else _percent_label,
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
        # pygal stacks horizontal bars from the bottom: reversed, the first row of the table
        # is the top bar.
        labels = list(reversed(labels))
        series = [(name, list(reversed(values))) for name, values in series]
    chart_class = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "line": pygal.Line}[kind]
    chart = chart_class(**options)
    if kind == "line":
        chart.config.dots_size = 4
    chart.x_labels = list(labels)
    for name, values in series:
        # The axis rounds to its unit; each bar's own value (in the SVG) stays exact.
        chart.add(name, list(values), **({"formatter": _money_label} if money else {}))
    rendered = _finish(chart.render(is_unicode=True), chart, chart_id, title, summary)
    cache.set(key, str(rendered), CACHE_SECONDS)
    return rendered


def _number(value: Any) -> float:
    return float(value["value"] if isinstance(value, dict) else value)


def _key(value: Any) -> Any:
    """A point as it enters the cache key (a percentage point by its number and its text)."""
    if isinstance(value, dict):
        return [value["value"], value["formatter"](value["value"])]
    return value


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
    points = [(name, _percent_values(values)) for name, values in series]
    return _render(
        "line",
        chart_id,
        title,
        summary,
        labels,
        points,
        money=False,
        width=width,
        height=height,
        rotate=0,
    )


def percent_xy_chart(
    *,
    chart_id: str,
    title: str,
    x_title: str,
    y_title: str,
    points: Sequence[tuple[float, int | Percent]],
    summary: str = "",
    width: int = 800,
    height: int = 360,
) -> SafeString:
    """A curve of percentages against percentages on linear axes (0 to 100 each way), for
    points that are not evenly spaced: each point sits at its real x (a share, unrounded)."""
    chart_id = _ID.sub("-", chart_id.lower())
    drawn = [(float(x), float(y), f"{x:.1f}%", percent_text(y)) for x, y in points]
    key_source = json.dumps(["xy1", chart_id, title, x_title, y_title, drawn, summary, width])
    key = "portal-chart:" + hashlib.sha256(key_source.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return NoncedMarkup(cached)  # rendered by _finish
    chart = pygal.XY(
        title=title,
        x_title=x_title,
        y_title=y_title,
        disable_xml_declaration=True,
        js=[],
        style=STYLE,
        width=width,
        height=height,
        show_legend=False,
        explicit_size=False,
        value_formatter=_percent_label,
        x_value_formatter=_percent_label,
        xrange=(0, 100),
        range=(0, 100),
        x_labels=[0, 20, 40, 60, 80, 100],
        y_labels=[0, 20, 40, 60, 80, 100],
        print_values=False,
        margin=16,
        dots_size=4,
    )
    chart.add(
        y_title,
        [{"value": (x, y), "formatter": lambda _v, t=f"{tx}, {ty}": t} for x, y, tx, ty in drawn],
    )
    rendered = _finish(chart.render(is_unicode=True), chart, chart_id, title, summary)
    cache.set(key, str(rendered), CACHE_SECONDS)
    return rendered
