"""The off-contract page with more suppliers than one page holds: pages keep the choices and
the totals stay over every supplier; the tables, drawn once and kept, follow the figures
(a new import, a new contract) and the reader's role. Figures worked out in the test from the
rows it imports."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from contracts import services
from portal.formatting import pounds
from tests.conftest import downloaded
from tests.payments.ledger import Row, import_rows

pytestmark = pytest.mark.django_db

FY = 2024
SUPPLIERS = 57  # more than the page's 50
URL = reverse("contracts:off-contract")
CHOICES = {"fy": str(FY), "threshold": "100"}


def rows() -> list[Row]:
    """Two payments a supplier in 2024/25, all different totals; one voided payment."""
    made = []
    for k in range(1, SUPPLIERS + 1):
        number = str(1000 + k)
        made.append(Row(2 * k, number, f"A{k}", dt.date(2024, 5, 1), dt.date(2024, 5, 9), 17 * k))
        made.append(
            Row(2 * k + 1, number, f"B{k}", dt.date(2024, 9, 1), dt.date(2024, 9, 9), 9_000 * k)
        )
    made.append(Row(999, "1001", "V1", None, dt.date(2024, 6, 9), 50_000_000, status="VOIDED"))
    return made


def totals(paid: list[Row]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in paid:
        if r.status != "VOIDED":
            out[r.supplier] = out.get(r.supplier, 0) + r.pence
    return {s: t for s, t in out.items() if t >= 100_00}


def biggest_first(found: dict[str, int]) -> list[str]:
    return sorted(found, key=lambda s: (-found[s], f"Supplier {s}"))


def listed(page: str) -> list[str]:
    """Supplier numbers in the page's supplier table, in order."""
    table = page.split('id="off-contract-total"')[1].split("</table>")[0]
    return re.findall(r'data-label="Supplier number">(\d+)</td>', table)


def total_line(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page.split('id="off-contract-total">')[1].split("</p>")[0])


@pytest.fixture
def ledger(tmp_path: Path) -> list[Row]:
    paid = rows()
    import_rows(tmp_path, paid)
    return paid


def test_pages_keep_the_choices_and_the_totals_are_over_every_supplier(
    client: Client, officer, ledger: list[Row]
) -> None:
    client.force_login(officer)
    expected = totals(ledger)
    order = biggest_first(expected)
    assert len(order) > 50  # the threshold leaves out a few of the smallest
    first = client.get(URL, CHOICES).content.decode()
    everyone = f"{len(order)} suppliers paid £100 or more in 2024/25"
    assert everyone in total_line(first)
    assert pounds(sum(expected.values())) in total_line(first)
    assert listed(first) == order[:50]

    # GOV.UK pagination; the link to page 2 keeps the year and threshold.
    assert 'class="govuk-pagination"' in first
    [href] = set(re.findall(r'href="(\?[^"]*page=2[^"]*)"', first))
    query = html.unescape(href)
    assert "fy=2024" in query
    assert "threshold=100" in query
    second = client.get(URL + query).content.decode()
    assert listed(second) == order[50:]
    assert everyone in total_line(second)
    assert pounds(sum(expected.values())) in total_line(second)

    # The export is every supplier, whichever page it is asked from.
    exported = client.get(URL + query + "&_export=csv")
    got = list(csv.DictReader(io.StringIO(downloaded(exported).decode("utf-8-sig"))))
    assert [r["Supplier number"] for r in got] == order
    assert {r["Supplier number"]: Decimal(r["Spend with no contract"]) for r in got} == {
        s: Decimal(t) / 100 for s, t in expected.items()
    }


def test_the_drawn_tables_follow_the_figures(
    client: Client, officer, ledger: list[Row], tmp_path: Path
) -> None:
    client.force_login(officer)
    assert listed(client.get(URL, CHOICES).content.decode())[0] == "1057"

    # A later import pays 1001 enough to top the list.
    later = [Row(5000, "1001", "C1", dt.date(2025, 1, 5), dt.date(2025, 1, 9), 10_000_000)]
    import_rows(tmp_path, later, name="later.csv")
    expected = totals(ledger + later)
    page = client.get(URL, CHOICES).content.decode()
    assert listed(page)[:2] == ["1001", "1057"]
    assert pounds(expected["1001"]) in page

    # A contract for 1001 over the year covers its payments: it leaves the list.
    services.contract_create(
        reference="K-1001",
        contract={
            "title": "Contract for 1001",
            "description": "",
            "department": "Highways",
            "category": "",
            "procurement_route": "",
            "cpv_code": "",
            "award_date": dt.date(2024, 4, 1),
            "start_date": dt.date(2024, 4, 1),
            "end_date": dt.date(2025, 3, 31),
            "review_date": None,
            "awarded_value": Decimal("900000.00"),
            "vat_not_recoverable": Decimal("0.00"),
            "framework": False,
        },
        supplier={"name": "Supplier 1001", "supplier_number": "1001"},
        user=None,
        draft=False,
    )
    page = client.get(URL, CHOICES).content.decode()
    del expected["1001"]
    assert listed(page) == biggest_first(expected)[:50]
    assert pounds(sum(expected.values())) in total_line(page)


def test_the_drawn_tables_are_the_readers_own(
    client: Client, officer, councillor, ledger: list[Row]
) -> None:
    client.force_login(officer)
    assert "Create a contract" in client.get(URL, CHOICES).content.decode()
    client.force_login(councillor)
    page = client.get(URL, CHOICES).content.decode()
    assert "Create a contract" not in page
    assert listed(page) == biggest_first(totals(ledger))[:50]
