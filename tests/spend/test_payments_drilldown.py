"""The payments drill-down: find an invoice or payment by its number, choose a month by its
name, see every filter in use as a link that removes it, and a filter that cannot be read lists
nothing and says what to fix."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from portal.models import User
from spend.models import Supplier
from tests.ledger import REGION, Line, import_lines

pytestmark = pytest.mark.django_db

LINES = [
    Line(1, "100", "1200.50", dt.date(2023, 4, 3), name="Acme Waste Ltd"),
    Line(2, "100", "75.25", dt.date(2023, 5, 9), name="Acme Waste Ltd"),
    Line(3, "200", "310.00", dt.date(2023, 5, 11), postcode=REGION, name="Bolton Care CIC"),
    Line(4, "200", "42.00", dt.date(2024, 4, 2), postcode=REGION, name="Bolton Care CIC"),
]


@pytest.fixture
def reader(tmp_path: Path, councillor: User, client: Client) -> Client:
    import_lines(tmp_path, LINES)
    client.force_login(councillor)
    return client


def _page(client: Client, **query: str) -> str:
    response = client.get("/spend/payments/", query)
    assert response.status_code == 200
    return response.content.decode()


def _invoices(html: str) -> set[str]:
    """The invoice numbers in the table's rows."""
    return set(re.findall(r'data-label="Invoice">(INV-\d+)<', html))


def _total(html: str) -> str:
    match = re.search(r'id="payments-total">(.*?)</p>', html, re.S)
    assert match is not None
    return re.sub(r"<[^>]+>", "", match.group(1))


def _chip_text(label: str) -> str:
    text = re.sub(r"<[^>]+>", "", unescape(label))
    return text.replace("Remove filter ", "").removesuffix(" ✕")


def test_an_invoice_or_payment_number_finds_its_payment(reader: Client) -> None:
    html = _page(reader, number="inv-3")  # as a supplier might type it
    assert _invoices(html) == {"INV-3"}
    assert _total(html) == "1 payment adding up to £310."
    assert _invoices(_page(reader, number=" 7000002 ")) == {"INV-2"}  # the payment number
    assert _invoices(_page(reader, number="INV-9")) == set()
    assert _invoices(_page(reader, number="INV")) == set()  # the whole number, not a part


def test_the_total_is_shown_once(reader: Client) -> None:
    html = _page(reader, fy="2023")
    kept = [line for line in LINES if line.fy == 2023]
    pounds = round(sum(Decimal(line.pounds) for line in kept))
    assert _total(html) == f"{len(kept)} payments adding up to £{pounds:,}."
    assert html.count(f"£{pounds:,}") == 1


def test_months_are_chosen_by_name_from_the_financial_year(reader: Client) -> None:
    html = _page(reader, fy="2023")
    select = re.search(r'<select name="month".*?</select>', html, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))
    months = [dt.date(2023 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    assert options == [("", "All months")] + [(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]
    may = _page(reader, fy="2023", month="2023-05")
    assert _invoices(may) == {"INV-2", "INV-3"}


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2023-13"},
        {"month": "April"},
        {"fy": "2023", "month": "2024-04"},  # a month of another year
        {"fy": "1999"},
    ],
)
def test_a_filter_that_cannot_be_read_lists_nothing_and_says_what_to_fix(
    reader: Client, query: dict[str, str]
) -> None:
    html = _page(reader, **query)
    assert _invoices(html) == set()
    assert "There is a problem" in html
    assert re.search(r"Choose a (month|financial year) from the list", html)
    assert "No payments are listed until the filters above are put right." in html
    assert "_export=csv" not in html


def test_every_filter_in_use_is_a_link_that_removes_it(reader: Client) -> None:
    acme = Supplier.objects.get(supplier_number="100")
    query = {"fy": "2023", "month": "2023-05", "supplier": str(acme.pk), "number": "INV-2"}
    html = _page(reader, **query)
    chips = {
        re.sub(r"<[^>]+>", "", unescape(label))
        .replace("Remove filter ", "")
        .removesuffix(" ✕"): href
        for href, label in re.findall(
            r'<a class="govuk-link portal-chip" href="([^"]*)">(.*?)</a>', html, re.S
        )
    }
    assert set(chips) == {
        "Invoice or payment number: INV-2",
        "Year: 2023/24",
        "Month: May 2023",
        "Supplier: Acme Waste Ltd",
    }
    removes = {
        "Invoice or payment number: INV-2": "number",
        "Year: 2023/24": "fy",
        "Month: May 2023": "month",
        "Supplier: Acme Waste Ltd": "supplier",
    }
    for label, key in removes.items():
        left = {k: v[0] for k, v in parse_qs(urlsplit(unescape(chips[label])).query).items()}
        assert left == {k: v for k, v in query.items() if k != key}, label
    # Following "remove the number" lists the supplier's May payments, from the lines alone.
    expected = {
        f"INV-{line.payment}"
        for line in LINES
        if line.supplier == "100" and (line.day.year, line.day.month) == (2023, 5)
    }
    remove_number = unescape(chips["Invoice or payment number: INV-2"])
    assert _invoices(reader.get("/spend/payments/" + remove_number).content.decode()) == expected
