"""Contracts and spend joined, in a real browser (axe-core checks every page visited): the
contract page, spend with no contract and its drill-down, the register's status filter, the
ledger supplier picker, and the committee report showing the same figures as the pages."""

import re
from datetime import date
from pathlib import Path

import pytest

from contracts.models import Contract
from portal.formatting import pounds, pounds_pence
from portal.roles import Role
from tests.conftest import make_user
from tests.contracts.ledger import build_ledger_and_register, ledger_rows
from tests.contracts.test_contract_spend import off_contract_expected
from tests.reports.test_committee_report import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FY = 2024


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    build_ledger_and_register(tmp_path)


def test_contract_and_off_contract_pages_agree_with_the_committee_report(
    sign_in_browser, ledger: None, tmp_path: Path
) -> None:
    from spend.models import Supplier

    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    acme = Contract.objects.get(reference="C-ACME")
    page.goto(f"/contracts/{acme.pk}/")
    under_contract = sum(
        p.pence
        for p in ledger_rows()
        if p.order == "C-ACME"
        or p.invoice == "G-LINK"
        or (p.supplier == "S100" and p.day >= date(2024, 4, 15))
    )
    assert page.locator("#spend-to-date").inner_text().startswith(pounds_pence(under_contract))
    years = page.locator("#spend-by-year").inner_text()
    in_year = sum(
        p.pence
        for p in ledger_rows()
        if date(2024, 4, 1) <= p.day <= date(2025, 3, 31)
        and (
            p.order == "C-ACME"
            or p.invoice == "G-LINK"
            or (p.supplier == "S100" and p.day >= date(2024, 4, 15))
        )
    )
    assert f"2024/25 {pounds_pence(in_year)}" in re.sub(r"\s+", " ", years)
    main = page.locator("main").inner_text()
    assert "Supplier and contract dates" in main or "supplier and contract dates" in main

    page.goto(f"/contracts/off-contract/?fy={FY}&threshold=5000")
    expected = {s: t for s, t in off_contract_expected(FY).items() if t >= 500_000}
    table = page.locator("table").first.inner_text()
    shown = {}
    for number, pence in expected.items():
        name = Supplier.objects.get(supplier_number=number).name
        row = next(line for line in table.splitlines() if name in line)
        assert pounds(pence) in row
        shown[name] = pounds(pence)
    total = page.locator("#off-contract-total").inner_text()
    assert pounds(sum(expected.values())) in total

    # The drill-down: the amount opens the payments page, adding up to the same figure.
    page.get_by_role("link", name=pounds(expected["S400"]), exact=True).click()
    page.wait_for_url(re.compile(r"/spend/payments/\?.*off_contract=true"))
    assert pounds(expected["S400"]) in page.locator("#payments-total").inner_text()

    # The committee report (the same service the report job runs), read back.
    from reports.committee import render_committee_report

    pdf = tmp_path / "committee.pdf"
    pdf.write_bytes(render_committee_report(FY))
    text = pdf_text(pdf)
    for name, figure in shown.items():
        assert re.search(re.escape(name) + r" S\d+ .*?" + re.escape(figure), text), name
    assert f"{pounds(sum(expected.values()))} in all" in text


def test_register_status_filter_picker_and_create_from_off_contract(
    sign_in_browser, ledger: None
) -> None:
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto("/contracts/")
    page.get_by_label("Status").select_option("Ended early")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"status=Ended"))
    table = page.locator("table").inner_text()
    assert "C-DELTA" in table
    assert "C-ACME" not in table

    # "Create a contract" from the off-contract list fills the supplier from the ledger.
    page.goto(f"/contracts/off-contract/?fy={FY}&threshold=5000")
    page.get_by_role("link", name=re.compile(r"Create a contract for Beta Services")).click()
    page.wait_for_url(re.compile(r"/contracts/new/\?ledger_supplier="))
    assert page.get_by_label("Supplier name").input_value() == "Beta Services"
    assert page.get_by_label("Supplier number").input_value() == "S200"

    # The picker without JavaScript's help: search, choose a radio, use it.
    page.goto("/contracts/new/")
    page.get_by_role("searchbox", name="Find the supplier in the spend ledger").fill("gamma")
    page.get_by_role("button", name="Find supplier").click()
    page.get_by_label("Gamma Supplies").check()
    page.get_by_role("button", name="Use this supplier").click()
    assert page.get_by_label("Supplier number").input_value() == "S300"
    # Free text stays possible.
    page.get_by_label("Supplier name").fill("Not Yet Paid Ltd")
    assert page.get_by_label("Supplier name").input_value() == "Not Yet Paid Ltd"


def test_public_register_status_without_drafts(browser_page, ledger: None) -> None:
    from contracts import services
    from portal.periods import Quarter

    services.publication_build(quarter=Quarter.parse("2024Q3"), user=None)
    page = browser_page
    page.goto("/register/")
    table = page.locator("table").inner_text()
    assert "C-ACME" in table
    assert "C-EPS" not in page.content()
    page.get_by_label("Status").select_option("Live")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"status=Live"))
    assert "C-EPS" not in page.content()
