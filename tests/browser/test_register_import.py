"""An officer imports a register in the council's own headings through the pages, on a real
worker: the file is refused, kept, its columns mapped, and it imports; a contract flagged for
completion shows what to do. axe-core checks every page on the way."""

import re
from pathlib import Path

import pytest

from contracts.models import Contract, RegisterUpload
from portal.models import Job
from portal.roles import Role
from tests.conftest import make_user, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _job_of_the_upload(*statuses: str) -> Job | None:
    """The upload's latest job once it has ended as one of ``statuses``."""
    return Job.objects.filter(
        registerupload=RegisterUpload.objects.get(), status__in=statuses
    ).first()


def test_import_map_the_columns_and_see_a_draft_to_complete(
    celery_worker, sign_in_browser, tmp_path: Path
) -> None:
    path = tmp_path / "environment-register.csv"
    path.write_text(
        "Agreement code,Agreement,Team,Firm,Begins,Finishes,Worth\n"
        "A-1,Waste collection,Environment,Biffa,01/04/2024,31/03/2027,3000000\n"
        "A-2,Street cleaning,Environment,TBC,01/04/2024,31/03/2026,450000\n"
    )
    page = sign_in_browser(make_user(Role.PROCUREMENT_OFFICER))
    page.goto("/contracts/import/")
    page.get_by_label("Register file").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/"))
    wait_for(lambda: _job_of_the_upload(Job.Status.FAILED))
    page.reload()
    assert "This job failed" in page.locator("main").inner_text()
    assert "The file is kept" in page.locator("main").inner_text()

    page.goto("/contracts/import/")
    assert "environment-register.csv" in page.locator("table").inner_text()
    page.get_by_role("link", name="Map columns of environment-register.csv").click()
    page.wait_for_url(re.compile(r"/mapping/$"))
    page.get_by_label("Name for this layout").fill("Environment register")
    for column, heading in (
        ("Reference", "Agreement code"),
        ("Title", "Agreement"),
        ("Department", "Team"),
        ("Supplier name", "Firm"),
        ("Start date", "Begins"),
        ("End date", "Finishes"),
        ("Awarded value", "Worth"),
    ):
        page.get_by_label(re.compile(rf"^{column}( \(optional\))?$")).select_option(heading)
    page.get_by_role("button", name="Save mapping and import").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/"))
    job = wait_for(lambda: _job_of_the_upload(Job.Status.SUCCEEDED, Job.Status.FAILED))
    assert job.status == Job.Status.SUCCEEDED, job.error
    page.reload()
    page.get_by_role("link", name="See what was imported").click()
    page.wait_for_url(re.compile(r"/contracts/import/\d+/$"))
    summary = page.locator("main").inner_text()
    assert "2 new, 0 updated" in summary
    assert "Drafts to complete" in summary

    draft = Contract.objects.get(reference="A-2")
    assert draft.status == Contract.Status.DRAFT
    page.get_by_role("link", name="A-2").click()
    page.wait_for_url(re.compile(rf"/contracts/{draft.pk}/$"))
    warning = page.locator(".govuk-warning-text").inner_text()
    assert "To complete" in warning
    assert "'TBC'" in warning
