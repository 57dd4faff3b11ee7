"""The portal's shell in a real browser, as each role: axe-core checks every page visited."""

import re

import pytest
from playwright.sync_api import expect

from portal.roles import Role
from tests.conftest import TEST_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_page_then_home_through_the_form(browser_page) -> None:
    user = make_user(Role.PROCUREMENT_OFFICER)
    page = browser_page
    page.goto("/")
    assert page.locator("h1").inner_text() == "Lancashire County Council procurement"
    page.locator("header").get_by_role("link", name="Sign in").click()
    assert "/sign-in/" in page.url
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert (
        "Enter a correct email address and password"
        in page.locator(".govuk-error-summary").inner_text()
    )
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator("h1").inner_text() == "Procurement portal"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in/"))


def test_the_public_home_leads_to_the_three_public_services(browser_page) -> None:
    page = browser_page
    page.goto("/")
    for name, path in (
        ("Contract register", "/register/"),
        ("Spend over £500", "/spend/transparency/"),
        ("Social Value Maturity Index", "/diagnostics/svmi/"),
    ):
        page.goto("/")
        page.locator("main").get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(re.compile(re.escape(path) + "$"))
    page.goto("/register/forward-plan/")
    assert page.locator("h1").inner_text() == "Forward plan"


@pytest.mark.parametrize("role", list(Role))
def test_home_and_pages_for_each_role(sign_in_browser, role: Role) -> None:
    page = sign_in_browser(make_user(role))
    page.goto("/")
    header = page.locator("header").inner_text()
    assert role.value in header
    nav = page.locator("#navigation").inner_text() if page.locator("#navigation").count() else ""
    assert ("Users" in nav) == (role == Role.ADMINISTRATOR)
    for path in ("/accessibility/", "/privacy/", "/healthz", "/no-such-page/"):
        page.goto(path)
    assert page.locator("h1").inner_text() == "Page not found"
    response = page.goto("/users/")
    expected = 200 if role == Role.ADMINISTRATOR else 403
    assert response.status == expected
    if expected == 403:
        assert page.locator("h1").inner_text() == "You do not have access to this page"


def test_public_pages_and_health_as_anonymous(browser_page) -> None:
    page = browser_page
    for path in ("/sign-in/", "/accessibility/", "/privacy/", "/no-such-page/"):
        page.goto(path)
    page.goto("/healthz")
    rows = page.locator(".govuk-summary-list__row").all_inner_texts()
    assert any(row.startswith("Database") and "Answering" in row for row in rows)
    json_response = page.raw.request.get(f"{page.base_url}/healthz?format=json")
    assert json_response.json()["database"]["ok"] is True


def test_error_page_for_a_server_fault(browser_page, settings) -> None:
    settings.ROOT_URLCONF = "tests.browser.broken_urls"
    response = browser_page.goto("/broken/")
    assert response.status == 500
    assert "Sorry, there is a problem with the service" in browser_page.locator("h1").inner_text()


def test_job_progress_updates_in_the_page(sign_in_browser) -> None:
    from portal.models import Job

    officer = make_user(Role.PROCUREMENT_OFFICER)
    job = Job.objects.create(
        kind="portal.housekeeping",
        title="Nightly housekeeping",
        created_by=officer,
        status=Job.Status.RUNNING,
        progress=10,
    )
    page = sign_in_browser(officer)
    page.goto(f"/jobs/{job.pk}/")
    assert page.locator("progress").get_attribute("value") == "10"
    Job.objects.filter(pk=job.pk).update(progress=70, message="Nearly there")
    # Polled from here, not by a string evaluated in the page (the CSP forbids eval).
    expect(page.raw.locator("progress")).to_have_attribute("value", "70")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error="The file was empty.")
    page.raw.get_by_text("The file was empty.").wait_for()
    page.audit()
