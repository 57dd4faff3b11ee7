"""The report centre: officers build, councillors download, failures say why and re-run."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Job
from portal.roles import Role
from reports.committee import COMMITTEE_JOB_KIND
from tests.conftest import wait_for


@pytest.mark.worker
def test_officer_builds_the_report_on_a_worker_and_a_councillor_downloads_it(
    celery_worker, officer, councillor, client: Client
) -> None:
    client.force_login(officer)
    page = client.get(reverse("reports:centre")).content.decode()
    assert "Build the report" in page
    response = client.post(reverse("reports:centre"), {"fy": "2026"})
    assert response.status_code == 302
    job = Job.objects.get(kind=COMMITTEE_JOB_KIND)
    assert job.created_by == officer
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        timeout=120,
    )
    assert done.status == "succeeded", done.error
    client.force_login(councillor)
    page = client.get(reverse("reports:centre")).content.decode()
    assert "Build the report" not in page
    assert "Committee scrutiny report 2026/27 (PDF)" in page
    download = client.get(reverse("reports:file", args=[job.pk, 0]))
    assert download.status_code == 200
    body = download.getvalue()
    assert body.startswith(b"%PDF-")
    assert "committee-scrutiny-report-2026-27.pdf" in download["Content-Disposition"]
    # Councillors download; they do not build.
    assert client.post(reverse("reports:centre"), {"fy": "2026"}).status_code == 403
    assert Job.objects.filter(kind=COMMITTEE_JOB_KIND).count() == 1


@pytest.mark.django_db
def test_a_failed_run_says_why_and_files_of_unfinished_runs_are_not_served(
    client: Client, officer
) -> None:
    from portal import services

    job = Job.objects.create(
        kind=COMMITTEE_JOB_KIND, title="Committee scrutiny report", params={}, created_by=officer
    )
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Say which financial year" in job.error
    client.force_login(officer)
    page = client.get(reverse("reports:centre")).content.decode()
    assert "Say which financial year" in page
    assert "Details and run again" in page
    assert client.get(reverse("reports:file", args=[job.pk, 0])).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("reports:centre"))
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


@pytest.mark.django_db
def test_a_running_reports_row_refreshes_itself_and_shows_its_file_when_finished(
    client: Client, officer, councillor
) -> None:
    job = Job.objects.create(
        kind=COMMITTEE_JOB_KIND, title="Committee scrutiny report 2023/24", created_by=officer
    )
    row_url = reverse("reports:run-row", args=[job.pk])
    client.force_login(councillor)
    page = client.get(reverse("reports:centre")).content.decode()
    assert f'hx-get="{row_url}"' in page
    assert "Queued" in client.get(row_url).content.decode()
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        progress=100,
        result={"files": [{"name": "r.pdf", "path": "reports/x/r.pdf", "label": "The PDF"}]},
    )
    row = client.get(row_url).content.decode()
    assert "Finished" in row
    assert "The PDF" in row
    assert "hx-get" not in row  # finished: it stops asking


@pytest.mark.django_db
def test_the_chosen_year_stays_chosen(client: Client, officer) -> None:
    import datetime as dt

    today = dt.date.today()
    fy = today.year if today.month >= 4 else today.year - 1  # the year running, always offered
    client.force_login(officer)
    response = client.post(reverse("reports:centre"), {"fy": str(fy)})
    assert response["Location"].startswith(reverse("reports:centre") + f"?fy={fy}")
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert f'<option value="{fy}" selected>' in page


@pytest.mark.django_db
def test_watch_progress_shows_only_to_those_who_may_open_the_job(
    client: Client, officer, councillor, administrator
) -> None:
    """The job page is for staff's own jobs and administrators; a councillor's own
    spreadsheet job, or another officer's report, gets no link that would be refused."""
    from tests.conftest import make_user

    other = make_user(Role.PROCUREMENT_OFFICER, "other@example.org")
    mine = Job.objects.create(kind="spend.payments_xlsx", title="Payments", created_by=councillor)
    theirs = Job.objects.create(kind=COMMITTEE_JOB_KIND, title="Report", created_by=other)
    for user, allowed in (
        (councillor, set()),
        (officer, set()),
        (other, {theirs.pk}),
        (administrator, {mine.pk, theirs.pk}),
    ):
        client.force_login(user)
        page = client.get(reverse("reports:centre")).content.decode()
        for job in (mine, theirs):
            row = client.get(reverse("reports:run-row", args=[job.pk])).content.decode()
            link = f'href="{job.get_absolute_url()}">Watch progress'
            assert (link in row) == (job.pk in allowed), (user, job.title)
            assert (link in page) == (job.pk in allowed), (user, job.title)
            opened = client.get(job.get_absolute_url()).status_code
            assert (opened == 200) == (job.pk in allowed), (user, job.title, opened)
