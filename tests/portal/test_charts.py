"""Charts read back from their SVG: a visible title on each, money axes in the unit the largest
value needs, bars across the page in the table's order, the Pareto curve on a linear axis, and
"<1%" for a sliver (the one percentage rule, pages and charts alike)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.test import Client

from portal import charts, formatting
from portal.models import User
from tests.ledger import Line, import_lines

SVG = "{http://www.w3.org/2000/svg}"


def _tree(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(svg))  # noqa: S314  (our own chart, not untrusted input)


def _texts(svg: str, css_class: str) -> list[str]:
    """The text of every <text> whose class list holds css_class, in document order."""
    found = []
    for node in _tree(svg).iter(f"{SVG}text"):
        if css_class in (node.get("class") or "").split():
            found.append("".join(node.itertext()).strip())
    return found


def _axis_labels(svg: str, axis: str) -> list[str]:
    """Labels of an axis (pygal's <g class="axis y"> or "axis x"), in document order."""
    labels = []
    for group in _tree(svg).iter(f"{SVG}g"):
        if group.get("class", "").split()[:2] == ["axis", axis]:
            for node in group.iter(f"{SVG}text"):
                text = "".join(node.itertext()).strip()
                if text:
                    labels.append(text)
    return labels


@pytest.mark.parametrize(
    ("pence", "expected"),
    [
        ([150_000_000, 90_000_000], "£1.5m"),  # £1.5m largest: millions
        ([25_000_000, 1_000_000], "£250k"),  # £250,000: thousands
        ([90_000, 10_000], "£900"),  # under £10,000: pounds
    ],
)
def test_money_axes_are_labelled_in_the_unit_the_largest_value_needs(
    pence: list[int], expected: str
) -> None:
    svg = charts.money_bar_chart(
        chart_id="t", title="Spend by month", labels=["Apr-23", "May-23"], values_pence=pence
    )
    unit = expected[-1] if expected[-1] in "mk" else ""
    labels = [t for t in _axis_labels(svg, "y") if t.startswith("£")]
    assert labels
    assert all(t == "£0" or (t.endswith(unit) if unit else t[-1].isdigit()) for t in labels)
    # Each bar's own value stays exact (whole pounds) for anyone reading the SVG.
    values = _texts(svg, "value")
    largest = max(pence) // 100
    assert f"£{largest:,}" in " ".join(values) or f"£{largest:,}" in svg


def test_the_axis_rule_itself() -> None:
    millions = charts.money_axis_label(2_400_000)
    assert [millions(v) for v in (0, 500_000, 1_500_000, 2_000_000, -250_000)] == [
        "£0",
        "£0.5m",
        "£1.5m",
        "£2m",
        "-£0.2m",
    ]
    thousands = charts.money_axis_label(250_000)
    assert [thousands(v) for v in (250_000, 12_500)] == ["£250k", "£12.5k"]
    assert charts.money_axis_label(900)(900) == "£900"


def test_every_chart_draws_its_title() -> None:
    bar = charts.money_bar_chart(
        chart_id="a", title="Spend by month", labels=["x"], values_pence=[1]
    )
    line = charts.percent_line_chart(
        chart_id="b", title="Home-area share", labels=["2023/24"], series=[("Share", [40])]
    )
    xy = charts.percent_xy_chart(
        chart_id="c", title="Pareto", x_title="% of suppliers", y_title="% of spend",
        points=[(0.0, 0), (50.0, 90), (100.0, 100)],
    )  # fmt: skip
    for svg, title in ((bar, "Spend by month"), (line, "Home-area share"), (xy, "Pareto")):
        assert title in _texts(svg, "title")


def test_horizontal_bars_run_top_down_in_the_tables_order() -> None:
    names = ["Waste", "Adult social care", "Transport"]  # the table's order, largest first
    svg = charts.money_bar_chart(
        chart_id="h",
        title="Spend by category",
        labels=names,
        values_pence=[900_00, 500_00, 100_00],
        horizontal=True,
    )
    # Each category label's vertical position (pygal puts them on its "y" axis, down the
    # left): the first row of the table is the top bar.
    tree = _tree(svg)
    y_of = {}
    for group in tree.iter(f"{SVG}g"):
        if group.get("class", "").split()[:2] == ["axis", "y"]:
            for node in group.iter(f"{SVG}text"):
                text = "".join(node.itertext()).strip()
                if text in names:
                    y_of[text] = float(node.get("y", "0"))
    assert sorted(y_of, key=y_of.__getitem__) == names


def test_the_pareto_curve_puts_each_point_at_its_real_share() -> None:
    points = [(0.0, 0), (0.5, 40), (1.0, 55), (10.0, 85), (100.0, 100)]
    svg = charts.percent_xy_chart(
        chart_id="p", title="Pareto", x_title="% of suppliers", y_title="% of spend", points=points
    )
    xs = [float(node.get("cx", "nan")) for node in _tree(svg).iter(f"{SVG}circle")]
    xs = [x for x in xs if x == x]
    assert len(xs) == len(points)
    # Linear: the gap from 10% to 100% is ten times the gap from 0% to 10% (within a pixel).
    first, *_, tenth, last = xs
    assert abs((last - tenth) - 9 * (tenth - first)) < 2
    assert _axis_labels(svg, "x")[:2] == ["0%", "20%"]


def test_a_sliver_is_less_than_one_per_cent() -> None:
    assert formatting.percent_text(formatting.percent(1, 1000)) == "<1%"
    assert formatting.percent_text(formatting.percent(0, 1000)) == "0%"
    assert formatting.percent_text(formatting.percent(5, 1000)) == "1%"  # rounds half up
    assert formatting.percent_text(formatting.percent(1, 0)) == "-"
    assert formatting.percent(1, 1000) == 0  # a number still, for exports
    svg = charts.percent_line_chart(
        chart_id="s",
        title="Share",
        labels=["2022/23", "2023/24"],
        series=[("Share", [formatting.percent(1, 1000), formatting.percent(400, 1000)])],
    )
    assert "&lt;1%" in str(svg) or "<1%" in "".join(_texts(svg, "value"))


@pytest.mark.django_db
def test_the_tail_page_and_its_table_share_the_rule(
    tmp_path: Path, councillor: User, client: Client
) -> None:
    # One supplier with nearly everything, 200 with a sliver each: their share is "<1%".
    lines = [Line(1, "1", "1000000.00", dt.date(2023, 5, 1))] + [
        Line(n, str(n), "1.00", dt.date(2023, 5, 2)) for n in range(2, 202)
    ]
    import_lines(tmp_path, lines)
    client.force_login(councillor)
    html = client.get("/spend/tail/", {"fy": "2023"}).content.decode()
    assert "Share of spend with the top suppliers, 2023/24" in re.sub(r"\s+", " ", html)
    assert 'class="title' in html  # the chart's title is drawn, not only named
    assert "<1%" not in html.replace("&lt;1%", "")  # escaped where it is text
    assert "&lt;1%" in html
