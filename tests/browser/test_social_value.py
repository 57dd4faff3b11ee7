"""Social value in a real browser (axe-core checks every page visited).

An officer makes a supplier link for a contract; the supplier, signed out and with no
account, sends a quarterly return with an evidence file through it; a tampered link is
refused; the officer verifies the return and the dashboard counts it as delivered.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from portal.roles import Role
from socialvalue import services
from socialvalue.models import DeliveryReturn, SupplierLink, Theme
from tests.conftest import make_user
from tests.socialvalue.conftest import PDF_BYTES, make_contract, make_measure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supplier_sends_a_return_by_link_and_officer_verifies(
    sign_in_browser, tmp_path: Path
) -> None:
    officer = make_user(Role.PROCUREMENT_OFFICER)
    theme = Theme.objects.create(code="BT", title="Browser theme", position=99)
    hours = make_measure("BT1.1", theme, "hours", {2024: "18.00", 2025: "20.00"})
    contract = make_contract(
        "SV-BROWSER", "50000.00", dt.date(2025, 4, 1), dt.date(2027, 3, 31), ["Brightside Care Ltd"]
    )
    other = make_contract(
        "SV-OTHER", "9000.00", dt.date(2025, 4, 1), dt.date(2026, 3, 31), ["Other Supplier Ltd"]
    )
    services.commitment_create(
        contract=contract,
        measure=hours,
        target_quantity=Decimal(120),
        period_fy=2025,
        note="Volunteering with local groups",
        user=officer,
    )
    services.commitment_create(
        contract=other,
        measure=hours,
        target_quantity=Decimal(7),
        period_fy=2025,
        note="Not for Brightside to see",
        user=officer,
    )

    page = sign_in_browser(officer)
    page.goto(f"/social-value/contracts/{contract.pk}/")
    page.get_by_role("link", name="Make a supplier link").click()
    page.get_by_role("button", name="Make link").click()
    page.wait_for_url(re.compile(r"/links/new/$"))
    link = page.locator("#supplier-link").input_value()
    assert "/social-value/supplier/" in link

    # The supplier: no account.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")
    response = page.goto(link)
    assert response.status == 200
    main = page.locator("main").inner_text()
    assert "Social value returns for SV-BROWSER" in main
    assert "Volunteering with local groups" in main
    assert "Not for Brightside to see" not in main
    assert "SV-OTHER" not in main
    page.get_by_role("link", name="Send a return").click()
    page.get_by_role("button", name="Send return").click()  # empty: errors first
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Q2: July to September").check(force=True)
    page.get_by_label("Quantity delivered in the quarter").fill("35")
    page.get_by_label("Evidence", exact=True).fill("Volunteering log, July to September.")
    evidence = tmp_path / "volunteering-log.pdf"
    evidence.write_bytes(PDF_BYTES)
    page.get_by_label("Evidence file (optional)").set_input_files(str(evidence))
    page.get_by_label("Your name").fill("Robin Brightside")
    page.get_by_role("button", name="Send return").click()
    page.wait_for_url(re.compile(r"/social-value/supplier/[^/]+/$"))
    main = page.locator("main").inner_text()
    assert "Return sent" in main
    assert "Awaiting verification" in main
    record = DeliveryReturn.objects.get()
    assert (record.quarter, record.quantity, record.status) == (2, Decimal(35), "submitted")
    assert record.evidence_name == "volunteering-log.pdf"

    # A tampered link is refused plainly.
    response = page.goto(link.rstrip("/")[:-3] + "abc/")
    assert response.status == 404
    assert "This link is not valid" in page.locator("main").inner_text()

    # The officer verifies it; the dashboard counts it.
    page = sign_in_browser(officer)
    page.goto(f"/social-value/contracts/{contract.pk}/")
    page.get_by_role("link", name=re.compile("Verify or reject")).click()
    assert "£700.00 at £20.00 per unit" in page.locator("main").inner_text()
    page.get_by_label("Verify").check(force=True)
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url(re.compile(rf"/social-value/contracts/{contract.pk}/$"))
    assert "Return verified" in page.locator("main").inner_text()
    page.goto("/social-value/?fy=2025")
    main = page.locator("main").inner_text()
    assert "£700 (28% of committed)" in main  # 35 x £20 of (120 + 7) x £20
    # A return the supplier emailed instead: the officer records it on their behalf.
    page.goto(f"/social-value/contracts/{contract.pk}/")
    page.get_by_role("link", name="Record a supplier's return").click()
    page.get_by_label("Q3: October to December").check(force=True)
    page.get_by_label("Quantity delivered in the quarter").fill("20")
    page.get_by_label("Sent by").fill("Robin Brightside")
    page.get_by_role("button", name="Record the return").click()
    page.wait_for_url(re.compile(rf"/social-value/contracts/{contract.pk}/$"))
    assert "Return recorded" in page.locator("main").inner_text()
    recorded = DeliveryReturn.objects.get(quarter=3)
    assert (recorded.quantity, recorded.status) == (Decimal(20), "submitted")
    for path in (
        "/social-value/contracts/?fy=2025",
        "/social-value/suppliers/",
        "/social-value/years/",
        "/social-value/measures/",
        "/social-value/overdue/",
        "/social-value/catalogue/",
        f"/social-value/contracts/{contract.pk}/approach/",
    ):
        page.goto(path)
    page.goto(f"/social-value/contracts/{contract.pk}/commitments/new/")
    page.get_by_role("button", name="Save commitment").click()  # empty: errors
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    page.goto(f"/contracts/{contract.pk}/")
    assert "Social value commitments and returns" in page.locator("main").inner_text()


def test_expired_link_page_is_clear(browser_page) -> None:
    officer = make_user(Role.PROCUREMENT_OFFICER)
    contract = make_contract(
        "SV-OLD", "1000.00", dt.date(2024, 4, 1), dt.date(2025, 3, 31), ["Old Supplier Ltd"]
    )
    _, token = services.supplier_link_create(
        contract=contract, supplier=contract.suppliers.get(), user=officer, days=1
    )
    SupplierLink.objects.filter(contract=contract).update(
        expires_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    )
    response = browser_page.goto(f"/social-value/supplier/{token}/")
    assert response.status == 403
    assert "This link no longer works" in browser_page.locator("main").inner_text()


def test_administrator_edits_the_catalogue(sign_in_browser, tmp_path: Path) -> None:
    administrator = make_user(Role.ADMINISTRATOR)
    page = sign_in_browser(administrator)
    page.goto("/social-value/catalogue/")
    page.get_by_role("link", name="Change EG1.1").click()
    page.get_by_label("Proxy value (£ per unit)").fill("not money")
    page.get_by_role("button", name="Save proxy value").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    page.goto("/social-value/catalogue/import/")
    bad = tmp_path / "catalogue.xlsx"
    bad.write_bytes(b"not a workbook")
    page.get_by_label("Catalogue spreadsheet (.xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    assert "not an Excel workbook" in page.locator("main").inner_text()
