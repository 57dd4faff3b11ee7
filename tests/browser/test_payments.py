"""The payments compliance notice in a browser: periods, figures, drill-down, approval; scope
and open invoices pages for an administrator (axe-core on every page)."""

from __future__ import annotations

from typing import Any

import pytest

from payments.models import OpenInvoiceImport
from portal.roles import Role
from tests.conftest import make_user
from tests.payments.scenario import END, OPEN, PAID, START, expected_figures, period_ledger

__all__ = ["period_ledger"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_reads_drills_down_and_approves(
    sign_in_browser: Any, period_ledger: OpenInvoiceImport
) -> None:
    want = expected_figures(PAID, OPEN, START, END)
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER, "finance@example.gov.uk"))
    page.goto("/payments/")
    page.get_by_role("link", name="1 January 2026 to 31 March 2026").click()
    assert page.locator("#average-days").inner_text() == str(want.average())
    assert (
        "2 of 8 invoice payments measured had no received date"
        in page.locator("#received-rule").inner_text()
    )
    page.get_by_role("link", name="Paid on or after day 61").click()
    assert page.locator("h1").inner_text() == "Paid on or after day 61"
    assert "L-1" in page.locator("#invoices").inner_text()
    page.go_back()
    page.get_by_label("Finance officer's full name").fill("Jane Smith")
    page.get_by_label("Job title").fill("Director of Finance")
    page.get_by_role("button", name="Record approval").click()
    assert "by Jane Smith, Director of Finance" in page.locator(".govuk-panel").inner_text()
    assert page.get_by_role("link", name="Download the notice (PDF)").count() == 1


def test_councillor_sees_the_would_have_been_period(
    sign_in_browser: Any, period_ledger: OpenInvoiceImport
) -> None:
    page = sign_in_browser(make_user(Role.COUNCILLOR))
    page.goto("/payments/")
    assert "Would have been" in page.locator("table").inner_text()
    page.get_by_role("link", name="1 October 2025 to 31 March 2026").click()
    assert "would have been" in page.locator(".govuk-caption-l").inner_text()
    assert page.get_by_role("button", name="Record approval").count() == 0


def test_administrator_scope_and_open_invoices(sign_in_browser: Any) -> None:
    page = sign_in_browser(make_user(Role.ADMINISTRATOR))
    page.goto("/payments/scope/")
    page.get_by_label("Account codes by prefix").check()
    page.get_by_role("button", name="Add exclusion").click()
    assert "There is a problem" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Account codes by prefix").check()
    page.get_by_label("Account codes starting with").fill("590")
    page.get_by_label("Why these are not payments under a public contract").fill("Grants")
    page.get_by_role("button", name="Add exclusion").click()
    assert "Account codes starting 590" in page.locator("#exclusions").inner_text()
    page.goto("/payments/open-invoices/")
    assert page.locator("h1").inner_text() == "Open invoices"


@pytest.mark.parametrize("role", [Role.PROCUREMENT_OFFICER, Role.COUNCILLOR])
def test_prompt_payment_dashboard(
    sign_in_browser: Any, period_ledger: OpenInvoiceImport, role: Role
) -> None:
    page = sign_in_browser(make_user(role))
    page.goto("/payments/")
    page.get_by_role("link", name="Prompt payment dashboard").click()
    # The latest year (one payment in April 2026) first; then the year of the scenario.
    assert page.locator("h1").inner_text() == "Prompt payment, 2026/27"
    page.get_by_role("link", name="2025/26").click()
    assert page.locator("h1").inner_text() == "Prompt payment, 2025/26"
    assert "Supplier 300" in page.locator("#slowest-suppliers").inner_text()
    assert "January 2026" in page.locator("#by-month").inner_text()
    assert page.locator("#interest-total").inner_text().startswith("£")


def test_payments_over_30000_page(sign_in_browser: Any) -> None:
    page = sign_in_browser(make_user(Role.COUNCILLOR))
    page.goto("/payments/")
    page.get_by_role("link", name="Payments over £30,000").click()
    assert page.locator("h1").inner_text().startswith("Payments over £30,000")
    assert "No payments over £30,000" in page.locator("#large-payments").inner_text()
