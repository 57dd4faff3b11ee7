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


@pytest.mark.worker
def test_an_officer_drafts_saves_finalises_and_a_councillor_downloads_the_edition(
    celery_worker, sign_in_browser, tmp_path
) -> None:
    import datetime as dt

    from reports.models import Edition
    from tests.ledger import HOME, REGION, Line, import_lines

    import_lines(
        tmp_path,
        [
            Line(1, "A1", "1200.00", dt.date(2023, 5, 2), HOME),
            Line(2, "B2", "800.50", dt.date(2023, 9, 9), REGION),
        ],
    )
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto("/reports/")
    page.get_by_role("link", name="Start a new edition").click()
    page.get_by_label("Financial year").select_option(label="2023/24")
    page.get_by_role("button", name="Start the edition").click()
    assert "Enter the name of the committee" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Committee").fill("Audit and Governance Committee")
    page.get_by_label("Meeting date").fill("2024-07-22")
    page.get_by_role("button", name="Start the edition").click()
    page.get_by_label("Report of").fill("Director of Finance")
    page.get_by_label('Text for "Recommendations"').fill("- Note the report")
    page.get_by_label('Text for "Key spend information"').fill("# Spend\nSpend was £2,001.")
    # The live figures beside the text.
    assert "the council paid £2,001 to 2 suppliers" in page.locator("main").inner_text()
    page.get_by_role("button", name="Save the edition").click()
    assert "Saved." in page.locator("main").inner_text()
    assert page.get_by_label('Text for "Recommendations"').input_value() == "- Note the report"
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Make final").click()
    page.get_by_role("link", name="See the final edition").wait_for(timeout=90_000)
    page.get_by_role("link", name="See the final edition").click()
    assert "Final" in page.locator("main .govuk-tag").inner_text()
    assert page.get_by_role("button", name="Save the edition").count() == 0
    assert "Note the report" in page.locator("main").inner_text()
    edition = Edition.objects.get()
    assert edition.is_final

    councillor = sign_in_browser(make_user(Role.COUNCILLOR))
    councillor.goto("/reports/")
    library = councillor.locator("main").inner_text()
    assert "Audit and Governance Committee, 22 July 2024" in library
    with councillor.expect_download() as download:
        councillor.get_by_role("link", name="PDF of Audit and Governance Committee").click()
    saved = tmp_path / "final.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == edition.pdf.read()
    with councillor.expect_download() as download:
        councillor.get_by_role("link", name="Word (DOCX) of Audit and Governance Committee").click()
    saved = tmp_path / "final.docx"
    download.value.save_as(saved)
    assert saved.read_bytes() == edition.docx.read()
    # The councillors' home leads to the same final edition.
    councillor.goto("/")
    councillor.get_by_role("link", name="Committee scrutiny report 2023/24", exact=True).click()
    assert "Final" in councillor.locator("main .govuk-tag").inner_text()
