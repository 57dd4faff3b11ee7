"""The Home area page in a real browser (axe-core checks each page visited): an unknown
district is refused with the GOV.UK error summary and the text kept; a valid area is saved
and the re-classification job's page opens."""

import pytest

from portal.models import HomeAreaDistrict, Job
from portal.roles import Role
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_changes_the_home_area(sign_in_browser) -> None:
    page = sign_in_browser(make_user(Role.ADMINISTRATOR))
    for width in (390, 1280):
        page.raw.set_viewport_size({"width": width, "height": 900})
        page.goto("/home-area/")
        overflow = page.raw.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the page is wider than the window at {width} px"
    box = page.get_by_label("Local authority districts in the home area")
    box.fill("Leeds\nLeeds City Council")
    page.get_by_label("Region").select_option("Yorkshire and The Humber")
    page.get_by_role("button", name="Save the home area").click()
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "no local authority called 'Leeds City Council'" in summary
    assert "Leeds City Council" in box.input_value()  # nothing the officer typed is lost
    assert box.get_attribute("aria-describedby") == (
        "id_local_authorities-hint id_local_authorities-error"
    )
    box.fill("Leeds\nbradford")
    page.get_by_role("button", name="Save the home area").click()
    assert "Re-classify supplier sites" in page.locator("h1").inner_text()
    assert sorted(HomeAreaDistrict.objects.values_list("local_authority", flat=True)) == [
        "Bradford",
        "Leeds",
    ]
    assert Job.objects.filter(kind="spend.locality_reclassify").count() == 1
