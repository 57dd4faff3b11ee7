"""The report centre in a browser, as an officer and a councillor (axe-core on every page)."""

import pytest

from portal.models import Job
from portal.roles import Role
from reports.committee import COMMITTEE_JOB_KIND
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("role", [Role.PROCUREMENT_OFFICER, Role.COUNCILLOR])
def test_report_centre_for_officers_and_councillors(sign_in_browser, role: Role) -> None:
    Job.objects.create(
        kind=COMMITTEE_JOB_KIND,
        title="Committee scrutiny report 2025/26",
        status=Job.Status.FAILED,
        error="The database was unavailable.",
    )
    page = sign_in_browser(make_user(role))
    page.goto("/reports/")
    assert page.locator("h1").inner_text() == "Reports"
    assert "The database was unavailable." in page.locator("table").inner_text()
    buttons = page.get_by_role("button", name="Build the report").count()
    assert buttons == (1 if role == Role.PROCUREMENT_OFFICER else 0)
