"""The rules the council's spend figures rest on, at their edges, on ledgers each test writes:
the top 20, the £100k tail (under, not at), the "-" rule (more than half unknown), half-up
percentages, and 31 March / 1 April. Expected figures are worked here from the lines."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.test import Client

from spend import selectors
from tests.ledger import HOME, REGION, UK, UNKNOWN, Line, import_lines

pytestmark = pytest.mark.django_db

FY = 2023  # 2023/24


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def reader(client: Client, councillor: object) -> Client:
    client.force_login(councillor)  # type: ignore[arg-type]
    return client


def test_the_top_20_starts_with_the_biggest_supplier(tmp_path: Path, reader: Client) -> None:
    # 25 suppliers, each paid a different amount in two lines; S0125 is paid the most.
    lines = []
    for n in range(1, 26):
        lines.append(Line(2 * n, f"S{100 + n:04d}", f"{n * 1000}.00", dt.date(2023, 5, 2)))
        lines.append(Line(2 * n + 1, f"S{100 + n:04d}", f"{n}.01", dt.date(2023, 9, 5)))
    import_lines(tmp_path, lines)
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.supplier] = totals.get(line.supplier, 0) + line.pence
    expected = sorted(totals.items(), key=lambda item: -item[1])[:20]

    top = selectors.top_suppliers(FY)
    assert [(s.supplier_number, s.total_pence) for s in top] == expected
    assert [s.rank for s in top] == list(range(1, 21))
    assert top[0].supplier_number == "S0125"
    assert top[0].total_pence == 25_000_00 + 25_01
    share = selectors.top_suppliers_share(FY, 20)
    assert share.total_pence == sum(t for _, t in expected)

    html = text_of(reader.get(f"/spend/tail/?fy={FY}").content.decode())
    assert "1 Supplier S0125 £25,025" in html  # rank 1 on the page is the biggest


def test_tail_is_suppliers_paid_under_100k_not_at_it(tmp_path: Path, reader: Client) -> None:
    day = dt.date(2023, 6, 1)
    lines = [
        Line(1, "AT-LIMIT", "60000.00", day),
        Line(2, "AT-LIMIT", "40000.00", day),  # exactly £100,000.00 in the year: not tail
        Line(3, "JUST-UNDER", "99999.99", day),
        Line(4, "SIXTY", "60000.00", day),  # tail at £100k, not at £50k
        Line(5, "FORTY", "40000.00", day),
        Line(6, "BIG", "250000.00", day),
        Line(7, "NETTED", "120000.00", day),
        Line(8, "NETTED", "-30000.00", day),  # a credit note takes it under
    ]
    import_lines(tmp_path, lines)
    limit = Decimal("100000")
    by_supplier: dict[str, Decimal] = {}
    for line in lines:
        by_supplier[line.supplier] = by_supplier.get(line.supplier, Decimal(0)) + Decimal(
            line.pounds
        )
    tail = {s: v for s, v in by_supplier.items() if v < limit}
    assert set(tail) == {"JUST-UNDER", "SIXTY", "FORTY", "NETTED"}

    figures = selectors.tail_spend(FY)  # the default threshold, as the committee report uses
    assert figures.threshold_pence == 100_000_00
    assert figures.suppliers == len(tail) == 4
    assert figures.total_pence == int(sum(tail.values()) * 100)
    assert figures.suppliers_paid == len(by_supplier)
    assert selectors.tail_spend(FY, 100_000_01).suppliers == 5  # a penny more takes in AT-LIMIT

    html = text_of(reader.get(f"/spend/tail/?fy={FY}").content.decode())
    assert "Suppliers paid under £100,000 4 of 6 suppliers paid (67%)" in html
    assert f"What they add up to £{sum(tail.values()):,.0f}" in html


def test_the_dash_rule_is_more_than_half_unknown(tmp_path: Path, reader: Client) -> None:
    lines = [
        # 2021/22: exactly half unknown, so the home share is given (50%).
        Line(1, "A", "500.00", dt.date(2021, 5, 1), postcode=HOME),
        Line(2, "B", "500.00", dt.date(2021, 5, 1), postcode=UNKNOWN),
        # 2022/23: 60% unknown: "-".
        Line(3, "A", "400.00", dt.date(2022, 5, 1), postcode=HOME),
        Line(4, "B", "600.00", dt.date(2022, 5, 1), postcode=UNKNOWN),
        # 2023/24: a penny over half unknown: "-".
        Line(5, "A", "499.99", dt.date(2023, 5, 1), postcode=HOME),
        Line(6, "B", "500.01", dt.date(2023, 5, 1), postcode=UNKNOWN),
    ]
    import_lines(tmp_path, lines)
    rows = {r.fy: r for r in selectors.locality_by_year(today=dt.date(2024, 3, 31))}
    assert rows[2021].undetermined is False
    assert rows[2021].home_share == 50
    assert rows[2021].shown_home_pence == 500_00
    assert rows[2022].undetermined is True
    assert rows[2022].home_share is None
    assert rows[2023].undetermined is True
    assert rows[2023].home_share is None
    assert rows[2023].shown_home_pence is None

    html = text_of(reader.get("/spend/locality/").content.decode())
    assert "2021/22* £500 £1,000 50%" in html
    assert "2022/23* - £1,000 -" in html
    assert "2023/24* - £1,000 -" in html
    assert "more than 50% of the year's spend was paid to sites with no usable postcode" in html


def test_percentages_on_spend_pages_round_half_up(tmp_path: Path, reader: Client) -> None:
    # Home area 1/8 = 12.5% (half up: 13%, half to even would print 12%); rest of region
    # 5/8 = 62.5% (63%); rest of UK 2/8 = 25%.
    day = dt.date(2023, 7, 3)
    lines = [
        Line(1, "A", "100.00", day, postcode=HOME),
        Line(2, "B", "500.00", day, postcode=REGION),
        Line(3, "C", "200.00", day, postcode=UK),
    ]
    import_lines(tmp_path, lines)
    shares = {s.locality_class: s.share for s in selectors.spend_by_locality(FY)}
    assert shares == {"home": 13, "region": 63, "uk": 25, "unknown": 0}
    html = text_of(reader.get(f"/spend/?fy={FY}").content.decode())
    assert "Home area £100 13%" in html
    assert "Rest of region £500 63%" in html
    assert "Rest of UK £200 25%" in html


def test_31_march_and_1_april_fall_in_their_own_years(tmp_path: Path) -> None:
    lines = [
        Line(1, "A", "10.00", dt.date(2023, 4, 1)),  # first day of 2023/24
        Line(2, "A", "20.00", dt.date(2024, 3, 31)),  # last day of 2023/24
        Line(3, "A", "40.00", dt.date(2024, 4, 1)),  # first day of 2024/25
        Line(4, "A", "80.00", dt.date(2023, 3, 31)),  # last day of 2022/23
    ]
    import_lines(tmp_path, lines)
    by_fy: dict[int, int] = {}
    for line in lines:
        by_fy[line.fy] = by_fy.get(line.fy, 0) + line.pence
    assert by_fy == {2022: 80_00, 2023: 30_00, 2024: 40_00}
    for fy, pence in by_fy.items():
        assert selectors.spend_total(fy) == pence
    months = {m.month: m.total_pence for m in selectors.spend_by_month(FY)}
    assert months[dt.date(2023, 4, 1)] == 10_00
    assert months[dt.date(2024, 3, 1)] == 20_00
    april_first = [dt.date(2023 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    assert list(months) == april_first


def _import_then_void(tmp_path: Path) -> None:
    first = [
        Line(1, "A", "700.00", dt.date(2023, 5, 1), postcode=HOME),
        Line(2, "B", "300.00", dt.date(2023, 5, 1), postcode=REGION),
    ]
    import_lines(tmp_path, first, "may.csv")
    assert selectors.spend_total(FY) == 1000_00  # read (and cached) before the void
    later = [Line(1, "A", "700.00", dt.date(2023, 5, 1), postcode=HOME, status="VOIDED")]
    batch = import_lines(tmp_path, later, "june.csv")
    assert batch.rows_voided_later == 1


def test_a_payment_voided_in_a_later_file_leaves_the_ledger_and_summary(tmp_path: Path) -> None:
    from django.db.models import Sum

    from spend.models import Payment, SpendSummary

    _import_then_void(tmp_path)
    assert Payment.objects.spend().aggregate(t=Sum("amount_pence"))["t"] == 300_00
    assert SpendSummary.objects.filter(financial_year=FY).aggregate(t=Sum("total_pence")) == {
        "t": 300_00
    }
    assert selectors.payments_total(selectors.PaymentFilters(fy=FY)).total_pence == 300_00


# A file that only voids earlier payments updates and deletes summary rows without inserting
# any: the summary version is bumped all the same, so no cached figure still counts it.
def test_a_payment_voided_in_a_later_file_leaves_every_figure(tmp_path: Path) -> None:
    _import_then_void(tmp_path)
    assert selectors.spend_total(FY) == 300_00
    assert selectors.payment_count(FY) == 1
    assert {s.locality_class: s.total_pence for s in selectors.spend_by_locality(FY)}["home"] == 0
    assert [s.supplier_number for s in selectors.top_suppliers(FY)] == ["B"]
