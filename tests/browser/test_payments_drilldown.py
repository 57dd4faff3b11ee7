"""The payments drill-down in a real browser: a supplier's payments show the supplier as a
filter chip, a month is chosen by its name, a chip removes its filter, and an invoice number
finds its payment (axe-core checks each page)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.roles import Role
from spend.models import Supplier
from tests.conftest import make_user
from tests.ledger import REGION, Line, import_lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [
    Line(1, "100", "1200.50", dt.date(2023, 4, 3), name="Acme Waste Ltd"),
    Line(2, "100", "75.25", dt.date(2023, 5, 9), name="Acme Waste Ltd"),
    Line(3, "200", "310.00", dt.date(2023, 5, 11), postcode=REGION, name="Bolton Care CIC"),
]


def test_chips_month_names_and_invoice_search(tmp_path: Path, sign_in_browser) -> None:
    import_lines(tmp_path, LINES)
    acme = Supplier.objects.get(supplier_number="100")
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto(f"/spend/payments/?supplier={acme.pk}&fy=2023")
    chips = page.raw.locator(".portal-chip")
    expect(chips).to_have_count(2)
    expect(
        page.raw.get_by_role("link", name="Remove filter Supplier: Acme Waste Ltd")
    ).to_be_visible()
    page.raw.get_by_label("Month").select_option(label="May 2023")
    page.raw.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"month=2023-05"))
    rows = page.raw.locator("main table tbody tr")
    expect(rows).to_have_count(1)
    expect(page.raw.locator("#payments-total")).to_have_text("1 payment adding up to £75.")
    page.raw.get_by_role("link", name="Remove filter Supplier: Acme Waste Ltd").click()
    page.wait_for_url(re.compile(r"^(?!.*supplier=).*month=2023-05"))
    expect(rows).to_have_count(2)
    page.raw.get_by_label("Invoice or payment number").fill("inv-3")
    page.raw.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"number=inv-3"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bolton Care CIC")
    page.goto("/spend/payments/?month=2023-13")
    expect(page.raw.locator(".govuk-error-summary")).to_contain_text("Choose a month from the list")
    expect(page.raw.locator("main table tbody tr")).to_have_text(["No payments match."])
