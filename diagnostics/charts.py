"""Geometry for the results bar chart, drawn as SVG by ``diagnostics/_chart.html``.

The chart shows each theme's mean (and the overall mean) against the framework's levels;
the page shows the same figures in a table next to it. Lengths are whole pixels computed
from Decimal means (no floats), so the SVG is the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from diagnostics.framework_files import Framework
from diagnostics.scoring import AssessmentResult

LABEL_WIDTH = 260
BAR_AREA = 380
ROW_HEIGHT = 34
BAR_HEIGHT = 20
TOP = 34
RIGHT_PAD = 70


@dataclass(frozen=True)
class Bar:
    label: str
    mean: Decimal | None
    level: str
    y: int
    text_y: int
    width: int
    overall: bool


@dataclass(frozen=True)
class Tick:
    x: int
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    axis_bottom: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    description: str


def _px(mean: Decimal, top_score: int) -> int:
    return int((mean * BAR_AREA / top_score).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def results_chart(framework: Framework, result: AssessmentResult) -> Chart:
    top_score = len(framework.levels)
    rows = [
        (theme.title, theme.mean, theme.level.name if theme.level else "No level", False)
        for theme in result.themes
    ]
    overall = result.overall
    rows.append(
        ("Overall", overall.mean, overall.level.name if overall.level else "No level", True)
    )
    bars = []
    for index, (label, mean, level, is_overall) in enumerate(rows):
        y = TOP + index * ROW_HEIGHT + (8 if is_overall else 0)
        bars.append(
            Bar(
                label=label,
                mean=mean,
                level=level,
                y=y,
                text_y=y + BAR_HEIGHT // 2 + 5,
                width=_px(mean, top_score) if mean is not None else 0,
                overall=is_overall,
            )
        )
    ticks = tuple(
        Tick(x=LABEL_WIDTH + _px(Decimal(level.score), top_score), label=level.name)
        for level in framework.levels
    )
    axis_bottom = bars[-1].y + BAR_HEIGHT + 6
    description = (
        f"Horizontal bar chart of the mean score for each theme and overall, on a scale of "
        f"1 ({framework.levels[0].name}) to {top_score} ({framework.levels[-1].name}). "
        f"The same figures are in the table that follows."
    )
    return Chart(
        width=LABEL_WIDTH + BAR_AREA + RIGHT_PAD,
        height=axis_bottom + 10,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        axis_bottom=axis_bottom,
        bars=tuple(bars),
        ticks=ticks,
        description=description,
    )
