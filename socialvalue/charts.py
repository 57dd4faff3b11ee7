"""Charts for the social value dashboards: committed against delivered, drawn by the portal's
shared pygal helper (``portal.charts``) as an inline SVG with a title and summary. The page
always shows the same figures in a table under the chart."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from portal import charts as portal_charts
from portal.formatting import pounds
from portal.money import whole_pounds

CHART_HEIGHT = 480


def committed_delivered_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    committed_pence: Sequence[int],
    delivered_pence: Sequence[int],
) -> SafeString:
    summary = (
        f"Committed {pounds(sum(committed_pence))}, delivered and verified "
        f"{pounds(sum(delivered_pence))}; the table below gives each figure"
    )
    series = [
        ("Committed", [float(whole_pounds(v)) for v in committed_pence]),
        ("Delivered (verified)", [float(whole_pounds(v)) for v in delivered_pence]),
    ]
    return portal_charts._render(
        "bar",
        chart_id,
        title,
        summary,
        list(labels),
        series,
        money=True,
        width=800,
        # Tall enough that small delivered bars beside large commitments can be seen, and
        # slanted theme names keep their room.
        height=CHART_HEIGHT if len(labels) <= 6 else CHART_HEIGHT + 80,
        rotate=0 if len(labels) <= 6 else 30,
    )
