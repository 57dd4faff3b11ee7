"""The contract register in a real browser: the public register (anonymous) and the officers'
pages; axe-core checks every page visited."""

import datetime as dt
import re
from pathlib import Path

import pytest

from contracts import services
from contracts.models import Contract
from portal.periods import Quarter
from portal.roles import Role
from tests.conftest import make_user
from tests.contracts.conftest import register_row, write_csv, year_of_awards

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def register(tmp_path: Path) -> None:
    rows = [
        *year_of_awards(),
        register_row(
            "DRAFT-9",
            "Hidden Ltd",
            Title="Secret draft work",
            **{"Award date": "2024-01-10", "Start date": "2024-02-01"},
        ),
    ]
    services.register_import(path=write_csv(tmp_path / "register.csv", rows))
    Contract.objects.filter(reference="DRAFT-9").update(status=Contract.Status.DRAFT)
    services.publication_build(quarter=Quarter.parse("2024Q1"), user=None)


def test_anonymous_visitor_finds_published_contracts_and_no_draft(browser_page, register) -> None:
    page = browser_page
    page.goto("/register/")
    assert page.locator("h1").inner_text() == "Contract register"
    assert "January to March 2024" in page.locator("main").inner_text()
    page.get_by_role("searchbox", name="Search").fill("living well")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"q=living"))
    table = page.locator("table").inner_text()
    assert "LCC-PDPS-LWAH" in table
    page.get_by_role("link", name="LCC-PDPS-LWAH").click()
    page.wait_for_url(re.compile(r"/register/contracts/\d+/"))
    assert "Home care provider 000" in page.locator("main").inner_text()
    page.goto("/register/?q=secret")
    assert "No published contracts match" in page.locator("main").inner_text()
    assert "DRAFT-9" not in page.content()
    page.goto("/register/?sort=-awarded_value&page=2")
    assert "DRAFT-9" not in page.content()
    with page.raw.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^CSV")).first.click()
    assert download.value.suggested_filename == "contract-register-2024Q1.csv"


def test_officer_pages_in_a_browser(sign_in_browser, register) -> None:
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto("/contracts/")
    # The register opens soonest end date first (no end date last, then by reference),
    # drafts included for officers.
    first = sorted(
        Contract.objects.values_list("end_date", "reference"),
        key=lambda c: (c[0] is None, c[0] or dt.date.min, c[1]),
    )[0][1]
    assert page.locator("table tbody tr").first.locator("td, th").first.inner_text() == first
    page.goto("/contracts/?q=LCC-PDPS-LWAH")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Living Well at Home PDPS" in rows.first.inner_text()
    page.goto("/contracts/awards/?fy=2023")
    assert "Aug-23*" in page.locator("table").inner_text()
    page.goto("/contracts/forward-plan/")
    assert Quarter.containing(dt.date.today()).label in page.locator("main").inner_text()
    page.goto("/contracts/publications/")
    assert "January to March 2024" in page.locator("main").inner_text()
    page.goto("/contracts/import/")
    page.goto("/contracts/new/")
    page.get_by_role("button", name="Add contract").click()
    assert "There is a problem" in page.locator("main").inner_text()
    contract = Contract.objects.get(reference="LCC-PDPS-LWAH")
    page.goto(f"/contracts/{contract.pk}/")
    page.goto(f"/contracts/{contract.pk}/edit/")
    page.goto(f"/contracts/{contract.pk}/end/")
    supplier = contract.suppliers.first()
    assert supplier is not None
    page.goto(f"/contracts/{contract.pk}/suppliers/{supplier.pk}/")
