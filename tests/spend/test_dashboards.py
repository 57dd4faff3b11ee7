"""Dashboards against generated extracts imported through the real import.

Every expected figure is computed here from the generator's plan (``conftest.expected``),
and printed here with this file's own arithmetic, never with the portal's formatting module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from html import unescape
from typing import Any

import openpyxl
import pytest
from django.test import Client

from demo.extracts import GeneratedExtracts
from spend.models import ImportBatch, Payment, Supplier
from tests.conftest import downloaded
from tests.shared_data import built_once
from tests.spend.conftest import Expected, import_extracts

pytestmark = pytest.mark.django_db

YEARS = (2020, 2021, 2022, 2023)
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


# --- This test's own printing of figures ------------------------------------------------------


def gbp(pence: int) -> str:
    """Whole pounds, half up, with separators: the report's style."""
    pounds = (abs(pence) + 50) // 100
    return ("-" if pence < 0 and pounds else "") + f"£{pounds:,}"


def pct(part: int, whole: int) -> str:
    """Whole per cent, rounded half up (both positive here); a share that is not nil but
    rounds to 0 reads "<1%", so it is not mistaken for nothing."""
    whole_percent = (200 * part + whole) // (2 * whole)
    return "<1%" if whole_percent == 0 and part else f"{whole_percent}%"


def fy_text(fy: int) -> str:
    return f"{fy}/{str(fy + 1)[-2:]}"


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def payments_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link to the payments page."""
    return [
        (unescape(href), text_of(label).strip())
        for href, label in re.findall(
            r'<a class="govuk-link" href="(/spend/payments/\?[^"]*)">(.*?)</a>', html
        )
    ]


def drill_down_total(client: Client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["totals"].total_pence


@pytest.fixture(scope="module")
def ledger(
    django_db_setup: None, django_db_blocker: Any, extracts: GeneratedExtracts
) -> Iterator[list[ImportBatch]]:
    """conftest's ledger, imported once for this module's tests (3-4 s each under load), each
    test's writes rolled back (tests/shared_data.py). Every test here reads it; the empty
    ledger's pages are checked in test_dashboards_empty.py."""
    yield from built_once(django_db_blocker, lambda: import_extracts(extracts))


@pytest.fixture
def reader(client: Client, officer: object) -> Client:
    client.force_login(officer)  # type: ignore[arg-type]
    return client


# --- Overview ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fy", YEARS)
def test_overview_figures_match_the_plan(
    ledger: object, expected: Expected, reader: Client, fy: int
) -> None:
    html = page(reader, f"/spend/?fy={fy}")
    text = text_of(html)
    lines = expected.where(fy=fy)
    total = sum(line.pence for line in lines)
    suppliers = {line.supplier for line in lines}
    assert f"Spend in {fy_text(fy)}" in text
    assert f"Total paid {gbp(total)}" in text
    assert f"Suppliers paid {len(suppliers):,}" in text
    assert f"Payments {len(lines):,}" in text
    # By month: every month of the year, April first, with its spend.
    by_month: dict[dt.date, int] = defaultdict(int)
    for line in lines:
        by_month[line.month] += line.pence
    for offset in range(12):
        month = dt.date(fy + (offset >= 9), (offset + 3) % 12 + 1, 1)
        label = f"{month:%b}-{month:%y}"
        assert f"{label} {gbp(by_month.get(month, 0))}" in text, label
    # By category and by locality, with whole-per-cent shares.
    by_category: dict[str, int] = defaultdict(int)
    by_locality: dict[str, int] = defaultdict(int)
    for line in lines:
        by_category[line.category] += line.pence
        by_locality[line.locality] += line.pence
    for name, pence in by_category.items():
        assert f"{name} {gbp(pence)} {pct(pence, total)}" in text, name
    for key, label in (
        ("home", "Home area"),
        ("region", "Rest of region"),
        ("uk", "Rest of UK"),
        ("unknown", "Unknown"),
    ):
        pence = by_locality.get(key, 0)
        assert f"{label} {gbp(pence)} {pct(pence, total)}" in text, label
    # The chart is inline SVG with a name, and has no script.
    svg = re.search(r"<svg[^>]*>", html)
    assert svg
    assert 'role="img"' in svg.group(0)
    assert "aria-label=" in svg.group(0)
    assert '<script type="text/javascript">window.pygal' not in html


def test_completeness_names_the_missing_months(
    ledger: object, expected: Expected, reader: Client
) -> None:
    missing_by_fy: dict[int, list[str]] = defaultdict(list)
    for year, month in expected.months_without_payments:
        missing_by_fy[year if month >= 4 else year - 1].append(f"{MONTH_NAMES[month - 1]} {year}")
    assert missing_by_fy == {2021: ["August 2021"]}  # the generator's gap, as planned
    for fy in YEARS:
        text = text_of(page(reader, f"/spend/?fy={fy}"))
        if fy in missing_by_fy:
            assert (
                f"{fy_text(fy)} is incomplete: there are no payments for "
                f"{', '.join(missing_by_fy[fy])}."
            ) in text
        else:
            assert f"Every month of {fy_text(fy)} has payments." in text


def test_every_overview_figure_drills_down_to_its_payments(ledger: object, reader: Client) -> None:
    html = page(reader, "/spend/?fy=2022")
    links = payments_links(html)
    assert len(links) >= 12 + 4 + 2  # months, locality classes, total and payments at least
    for href, label in links:
        if label.startswith("£") or label.startswith("-£"):
            assert gbp(drill_down_total(reader, href)) == label, href


def test_voided_payments_are_left_out_and_credit_notes_net(
    ledger: object, expected: Expected, reader: Client
) -> None:
    assert Payment.objects.filter(is_spend=False).count() == expected.not_spend > 0
    credits = [line for line in expected.lines if line.pence < 0]
    assert len(credits) == expected.credits > 0
    credit = credits[0]
    supplier = Supplier.objects.get(supplier_number=credit.supplier)
    response = reader.get(
        f"/spend/payments/?fy={credit.fy}&month={credit.month:%Y-%m}&supplier={supplier.pk}"
    )
    lines = expected.where(fy=credit.fy, month=credit.month, supplier=credit.supplier)
    assert response.context["totals"].total_pence == sum(line.pence for line in lines)
    assert response.context["totals"].payments == len(lines)
    pounds, pence = divmod(-credit.pence, 100)
    assert f"-£{pounds:,}.{pence:02d}" in text_of(response.content.decode())


# --- Suppliers ---------------------------------------------------------------------------------


def test_supplier_table_default_order_filters_and_exports(
    ledger: object, expected: Expected, reader: Client
) -> None:
    fy = 2023
    totals = expected.by_supplier(fy)
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    response = reader.get("/spend/suppliers/")  # defaults to the latest year, spend descending
    table = response.context["table"]
    rows = [row.record for row in table.paginated_rows][:10]
    shown = [(r["supplier_number"], r["total"]) for r in rows]
    assert shown == ranked[:10]
    assert table.paginator.count == len(totals)
    # Filters: category, locality class, spend range and name search.
    lines = expected.where(fy=fy, category="Adult social care", locality="home")
    want: dict[str, int] = defaultdict(int)
    for line in lines:
        want[line.supplier] += line.pence
    category_id = reader.get("/spend/suppliers/").context["filter"].form.fields["category"].choices
    adult = next(value for value, label in category_id if label == "Adult social care")
    url = f"/spend/suppliers/?fy={fy}&category={adult}&locality=home&min_spend=1000"
    response = reader.get(url)
    got = {r["supplier_number"]: r["total"] for r in response.context["table"].data}
    assert got == {k: v for k, v in want.items() if v >= 100_000}
    # The CSV and XLSX exports carry the same figures (pounds with two decimals).
    exported = list(
        csv.DictReader(
            io.StringIO(downloaded(reader.get(url + "&_export=csv")).decode("utf-8-sig"))
        )
    )
    assert {r["Supplier number"]: Decimal(r["Spend"]) for r in exported} == {
        k: Decimal(v) / 100 for k, v in got.items()
    }
    book = openpyxl.load_workbook(io.BytesIO(reader.get(url + "&_export=xlsx").content))
    sheet = list(book.active.iter_rows(values_only=True))
    header = list(sheet[0])
    spend = {row[header.index("Supplier number")]: row[header.index("Spend")] for row in sheet[1:]}
    assert all(isinstance(v, int | float) for v in spend.values())
    assert {k: round(Decimal(str(v)) * 100) for k, v in spend.items()} == got
    # Name search.
    big = Supplier.objects.get(supplier_number=ranked[0][0])
    response = reader.get(f"/spend/suppliers/?fy={fy}&q={big.name[:8].lower()}")
    assert big.supplier_number in {r["supplier_number"] for r in response.context["table"].data}


def test_supplier_table_sorts_by_each_column_both_ways(
    ledger: object, expected: Expected, reader: Client
) -> None:
    totals = expected.by_supplier(2023)
    names = dict(Supplier.objects.values_list("supplier_number", "name"))
    for sort, want in (
        ("name", sorted(totals, key=lambda n: names[n])),
        ("-name", sorted(totals, key=lambda n: names[n], reverse=True)),
        ("total", sorted(totals, key=lambda n: totals[n])),
        ("-total", sorted(totals, key=lambda n: -totals[n])),
    ):
        table = reader.get(f"/spend/suppliers/?fy=2023&sort={sort}").context["table"]
        got = [row.record["supplier_number"] for row in table.paginated_rows]
        if sort.endswith("total"):  # ties may come in either order; the figures may not
            assert [totals[n] for n in got] == [totals[n] for n in want[: len(got)]], sort
        else:
            assert got == want[: len(got)], sort


def test_supplier_paid_at_two_sites_in_different_locality_classes(
    ledger: object, expected: Expected, reader: Client
) -> None:
    by_supplier: dict[str, set[str]] = defaultdict(set)
    for line in expected.where(fy=2023):
        by_supplier[line.supplier].add(line.locality)
    number = next(n for n, classes in sorted(by_supplier.items()) if len(classes) >= 2)
    supplier = Supplier.objects.get(supplier_number=number)
    html = page(reader, f"/spend/suppliers/{supplier.pk}/?fy=2023")
    text = text_of(html)
    # Spend by year and its sites, each with its own locality and spend over all years.
    for fy in YEARS:
        lines = expected.where(fy=fy, supplier=number)
        if lines:
            assert f"{fy_text(fy)} {gbp(sum(x.pence for x in lines))} {len(lines):,}" in text
    response = reader.get(f"/spend/suppliers/{supplier.pk}/?fy=2023")
    sites = response.context["sites"]
    assert len({s.locality_class for s in sites}) >= 2
    for site in sites:
        want = sum(
            x.pence
            for x in expected.where(supplier=number)
            if x.site == site.site_code and x.locality == site.locality_class
        )
        assert site.total_pence == want
    # The locality drill-down splits the supplier's year between the classes.
    for locality in by_supplier[number]:
        want = expected.total(fy=2023, supplier=number, locality=locality)
        got = drill_down_total(
            reader, f"/spend/payments/?fy=2023&supplier={supplier.pk}&locality={locality}"
        )
        assert got == want
    for href, label in payments_links(html):
        if label.startswith("£") or label.startswith("-£"):
            assert gbp(drill_down_total(reader, href)) == label, href


# --- Locality ---------------------------------------------------------------------------------


def test_locality_table_with_incomplete_and_dash_years(
    ledger: object, expected: Expected, reader: Client
) -> None:
    html = page(reader, "/spend/locality/")
    text = text_of(html)
    rows = []
    for fy in YEARS:
        total = expected.total(fy=fy)
        home = expected.total(fy=fy, locality="home")
        unknown = expected.total(fy=fy, locality="unknown")
        star = "*" if fy == 2021 else ""
        if 2 * unknown > total:  # more than half without a usable postcode: "-"
            rows.append((f"{fy_text(fy)}{star}", "-", gbp(total), "-"))
        else:
            rows.append((f"{fy_text(fy)}{star}", gbp(home), gbp(total), pct(home, total)))
    assert rows[0][1] == "-"  # 2020/21 came from an extract with no address columns
    for row in rows:
        assert " ".join(row) in text, row
    assert "2021/22: no payments for August 2021." in text
    assert "the share cannot be given for 2020/21" in text
    # The export gives the same figures as the page.
    exported = list(
        csv.reader(
            io.StringIO(downloaded(reader.get("/spend/locality/?_export=csv")).decode("utf-8-sig"))
        )
    )
    assert [r[0] for r in exported[1:]] == [r[0] for r in rows]
    for got, want in zip(exported[1:], rows, strict=True):
        assert (got[1] == "-") == (want[1] == "-")
        assert gbp(round(Decimal(got[2]) * 100)) == want[2]
        assert (got[3] + "%" if got[3] != "-" else "-") == want[3]
    # The split by class.
    for fy in YEARS:
        for key in ("region", "uk", "unknown"):
            assert gbp(expected.total(fy=fy, locality=key)) in text
    for href, label in payments_links(html):
        if label.startswith("£"):
            assert gbp(drill_down_total(reader, href)) == label, href


# --- Tail spend ------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [100_000, 20_000])
def test_tail_spend_top_shares_and_pareto(
    ledger: object, expected: Expected, reader: Client, threshold: int
) -> None:
    fy = 2022
    totals = sorted(expected.by_supplier(fy).values(), reverse=True)
    whole = sum(totals)
    tail = [t for t in totals if t < threshold * 100]
    response = reader.get(f"/spend/tail/?fy={fy}&threshold={threshold}")
    text = text_of(response.content.decode())
    assert f"Suppliers paid under £{threshold:,} {len(tail):,} of {len(totals):,}" in text
    assert f"What they add up to {gbp(sum(tail))} {pct(sum(tail), whole)}" in text
    for n in (20, 40):
        top = sum(totals[:n])
        assert f"Top {n} suppliers {gbp(top)} {pct(top, whole)} of the year's spend" in text
    pareto = response.context["pareto"]
    assert pareto[-1].suppliers == len(totals)
    assert pareto[-1].spend_share == 100
    for point in pareto:
        assert point.total_pence == sum(totals[: point.suppliers])
    for href, label in payments_links(response.content.decode()):
        if label.startswith("£"):
            assert gbp(drill_down_total(reader, href)) == label, href


# --- Access ----------------------------------------------------------------------------------

DASHBOARDS = [
    "/spend/",
    "/spend/suppliers/",
    "/spend/locality/",
    "/spend/tail/",
    "/spend/payments/",
]


def test_readers_see_dashboards_and_the_public_does_not(
    ledger: object, client: Client, councillor: object, administrator: object
) -> None:
    for url in DASHBOARDS:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "sign-in" in response["Location"], url
    assert client.get("/spend/transparency/").status_code == 200
    for user in (councillor, administrator):
        client.force_login(user)  # type: ignore[arg-type]
        for url in DASHBOARDS:
            assert client.get(url).status_code == 200, url
        supplier = Supplier.objects.order_by("pk").first()
        assert supplier is not None
        assert client.get(f"/spend/suppliers/{supplier.pk}/").status_code == 200
