"""The spend dashboards in a real browser: overview → suppliers → supplier → payments as an
officer and as a councillor, and the public spend-over-£500 files; axe-core checks each page."""

import re

import pytest

from demo.extracts import GeneratedExtracts
from portal.roles import Role
from spend import services
from spend.models import ImportBatch
from tests.conftest import make_user
from tests.spend.conftest import extracts  # noqa: F401  (the generated extracts fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def loaded(extracts: GeneratedExtracts) -> None:  # noqa: F811
    batches = services.import_paths(paths=[path for path, _ in extracts.files])
    assert all(b.status == ImportBatch.Status.LOADED for b in batches)


@pytest.mark.parametrize("role", [Role.PROCUREMENT_OFFICER, Role.COUNCILLOR])
def test_overview_supplier_payments_walk(loaded: None, sign_in_browser, role: Role) -> None:
    page = sign_in_browser(make_user(role))
    page.goto("/spend/?fy=2022")
    assert page.locator("h1").inner_text() == "Spend in 2022/23"
    assert page.locator("svg[role=img]").count() == 2
    page.get_by_role("navigation", name="Spend pages").get_by_role(
        "link", name="Suppliers", exact=True
    ).click()
    page.wait_for_url(re.compile(r"/spend/suppliers/"))
    first = page.locator("table tbody tr").first
    supplier_name = first.locator("th a").inner_text()
    spend = first.locator("td a").first.inner_text()
    first.locator("th a").click()
    page.wait_for_url(re.compile(r"/spend/suppliers/\d+/"))
    assert page.locator("h1").inner_text() == supplier_name
    page.get_by_role("link", name=spend).first.click()
    page.wait_for_url(re.compile(r"/spend/payments/"))
    assert spend in page.locator("#payments-total").inner_text()
    page.goto("/spend/locality/")
    assert "2021/22*" in page.locator("main table").first.inner_text()
    for path in (
        "/spend/tail/?fy=2022",
        "/spend/payments/?fy=2021&month=2021-09",
        "/spend/categories/" if role == Role.PROCUREMENT_OFFICER else "/spend/",
    ):
        page.goto(path)


def test_public_user_gets_the_transparency_files_and_nothing_else(
    loaded: None, browser_page
) -> None:
    page = browser_page
    page.goto("/spend/transparency/")
    assert page.locator("h1").inner_text() == "Spend over £500"
    link = page.locator("main a[download]").first  # the newest year's whole-year CSV
    href = link.get_attribute("href")
    response = page.raw.request.get(f"{page.base_url}{href}")
    assert response.status == 200
    assert response.text().lstrip("\ufeff").startswith("Organisation name,Organisation code")
    page.goto("/spend/")
    assert "/sign-in/" in page.url
