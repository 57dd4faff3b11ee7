"""Procurement Act notices in a real browser: the officer drafts and publishes a contract
details notice from the calendar; the public sees it from the register; axe checks each page."""

import re
from datetime import date
from decimal import Decimal

import pytest

from contracts import services
from contracts.models import Contract, Notice
from portal.periods import Quarter
from portal.roles import Role
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def act_contract() -> Contract:
    return services.contract_create(
        reference="ACT-B1",
        contract={
            "title": "Highway gully cleaning",
            "department": "Highways",
            "award_date": date(2025, 4, 1),
            "start_date": date(2025, 5, 1),
            "end_date": date(2028, 4, 30),
            "awarded_value": Decimal("250000"),
            "awarded_value_gross": Decimal("300000"),
            "regime": "act",
            "main_category": "services",
        },
        supplier={"name": "Drain Team Ltd", "ppon": "PDRN-1111-TEAM", "postcode": "PR1 2HE"},
        user=None,
    )


def test_officer_drafts_and_publishes_from_the_calendar(
    sign_in_browser, act_contract: Contract, settings
) -> None:
    settings.COUNCIL_PPON = "PLCC-0000-TEST"
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto("/")
    home = page.locator("main").inner_text()
    assert "Procurement Act notices due" in home
    assert "ACT-B1" in home
    page.goto("/contracts/notices/")
    row = page.locator("tr", has_text="ACT-B1")
    assert "1 May 2025" in row.inner_text()  # 30 days after the award on 1 April
    assert "Overdue" in row.inner_text()
    row.get_by_role("button", name="Draft notice UK7 for ACT-B1").click()
    page.wait_for_url("**/contracts/notices/*/")
    main = page.locator("main").inner_text()
    assert "Draft" in main
    assert "PDRN-1111-TEAM" in main
    assert "£300,000.00" in main
    page.get_by_role("button", name="Publish notice").click()
    assert "Contract details notice published." in page.locator("main").inner_text()
    notice = Notice.objects.get(contract=act_contract)
    assert notice.status == Notice.Status.PUBLISHED
    page.goto("/contracts/notices/")
    assert "No notice is due." in page.locator("main").inner_text()
    assert "Late" in page.locator("tr", has_text="ACT-B1").inner_text()

    # The public, signed out, reaches the notice from the register's contract page.
    services.publication_build(quarter=Quarter.parse("2025Q2"), user=None)
    page.raw.context.clear_cookies()
    published = act_contract.reference
    page.goto(f"/register/?q={published}")
    page.get_by_role("link", name=published).click()
    page.wait_for_url(re.compile(r"/register/contracts/\d+/"))
    page.get_by_role("link", name=re.compile(r"^Contract details notice \(UK7\)")).click()
    page.wait_for_url(re.compile(r"/register/notices/\d+/"))
    assert "Highway gully cleaning" in page.locator("h1").inner_text()
    assert "PLCC-0000-TEST" in page.locator("main").inner_text()


def test_performance_pipeline_and_supplier_pages_in_a_browser(
    sign_in_browser, act_contract: Contract, settings
) -> None:
    from socialvalue import services as social_value

    settings.COUNCIL_PPON = "PLCC-0000-TEST"
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto(f"/contracts/{act_contract.pk}/kpis/new/")
    page.get_by_label("Title").fill("Gullies cleansed to schedule")
    page.get_by_label("Target").fill("95")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/contracts/{act_contract.pk}/"))
    assert "Gullies cleansed to schedule" in page.locator("main").inner_text()
    page.goto(f"/contracts/{act_contract.pk}/failures/new/")
    page.get_by_role("button", name="Save").click()
    assert "There is a problem" in page.locator("main").inner_text()

    _link, token = social_value.supplier_link_create(
        contract=act_contract, supplier=act_contract.suppliers.get(), user=None
    )
    kpi = act_contract.kpis.get()
    services.failure_record(
        contract=act_contract,
        data={
            "requirement": "Clause 3: weekly cleansing",
            "description": "Missed for a month.",
            "decision_date": date(2026, 2, 2),
        },
        user=None,
    )
    page.goto(f"/social-value/supplier/{token}/kpis/")
    page.get_by_label("KPI").select_option(str(kpi.pk))
    page.get_by_role("button", name="Send KPI assessment").click()
    assert "There is a problem" in page.locator("main").inner_text()
    assert not kpi.assessments.exists()

    notice = services.notice_draft(contract=act_contract, kind="UK9", user=None)
    page.goto(f"/contracts/notices/{notice.pk}/")
    assert "Clause 3: weekly cleansing" in page.locator("main").inner_text()
    page.get_by_role("button", name="Publish notice").click()
    assert "Contract performance notice published." in page.locator("main").inner_text()
    page.goto("/contracts/pipeline/?fy=2026")
    assert "Pipeline notice, 2026/27" in page.locator("h1").inner_text()
