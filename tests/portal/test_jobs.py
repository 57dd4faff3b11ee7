"""The job record: in-process runs, and real runs on a Celery worker."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import services
from portal.models import Job
from portal.tasks import run_job
from tests.conftest import wait_for


@pytest.mark.django_db
def test_job_runs_in_process_and_records_its_result(officer) -> None:
    Session.objects.create(
        session_key="old", session_data="x", expire_date=timezone.now() - timedelta(days=1)
    )
    job = Job.objects.create(kind="portal.housekeeping", title="Housekeeping", created_by=officer)
    finished = services.job_run(job_id=job.pk)
    assert finished.status == Job.Status.SUCCEEDED
    assert finished.progress == 100
    assert finished.result == {"expired_sessions": 1, "stalled_jobs": 0}
    assert finished.attempts == 1
    assert finished.started_at is not None
    assert finished.finished_at is not None


@pytest.mark.django_db
def test_a_job_nothing_can_run_fails_with_a_reason() -> None:
    job = Job.objects.create(kind="no.such.kind", title="Mystery")
    finished = services.job_run(job_id=job.pk)
    assert finished.status == Job.Status.FAILED
    assert "No service is registered for jobs of kind 'no.such.kind'" in finished.error


@pytest.mark.django_db
def test_starting_an_unknown_kind_is_refused_at_once() -> None:
    with pytest.raises(LookupError):
        services.job_start(kind="no.such.kind", title="Mystery")
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_stalled_jobs_are_released_for_a_retry(officer) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    job = Job.objects.create(
        kind="portal.housekeeping",
        title="Stuck",
        status=Job.Status.RUNNING,
        heartbeat_at=long_ago,
        started_at=long_ago,
        created_by=officer,
    )
    assert job.is_stalled
    assert services.jobs_fail_stalled() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped responding" in job.error


@pytest.mark.django_db
def test_progress_component_polls_until_finished(client: Client, officer) -> None:
    client.force_login(officer)
    job = Job.objects.create(
        kind="portal.housekeeping",
        title="Tidy",
        created_by=officer,
        status=Job.Status.RUNNING,
        progress=40,
        message="Halfway",
    )
    html = client.get(reverse("portal:job-progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'value="40"' in html
    assert "Halfway" in html
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error="Disk full.")
    html = client.get(reverse("portal:job-progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in html
    assert "Disk full." in html
    assert "Run again" in html


@pytest.mark.django_db
def test_officers_see_only_their_own_jobs(client: Client, officer, councillor) -> None:
    from portal.roles import Role
    from tests.conftest import make_user

    colleague = make_user(Role.PROCUREMENT_OFFICER, "colleague@example.gov.uk")
    theirs = Job.objects.create(kind="portal.housekeeping", title="Theirs", created_by=colleague)
    client.force_login(officer)
    assert client.get(reverse("portal:job-detail", args=[theirs.pk])).status_code == 404


@pytest.mark.worker
def test_a_real_worker_runs_a_job_and_a_failure_can_be_retried(celery_worker, officer) -> None:
    job = services.job_start(kind="portal.housekeeping", title="Housekeeping", user=officer)
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).first(), timeout=60
    )
    assert done.progress == 100
    assert done.result["stalled_jobs"] == 0

    broken = Job.objects.create(kind="retired.kind", title="Old job", created_by=officer)
    run_job.delay(broken.pk)
    failed = wait_for(lambda: Job.objects.filter(pk=broken.pk, status=Job.Status.FAILED).first())
    assert "No service is registered" in failed.error
    # Put right (the kind exists again) and retry through the same worker.
    Job.objects.filter(pk=broken.pk).update(kind="portal.housekeeping")
    broken.refresh_from_db()
    services.job_retry(job=broken)
    retried = wait_for(
        lambda: Job.objects.filter(pk=broken.pk, status=Job.Status.SUCCEEDED).first()
    )
    assert retried.attempts == 2


@pytest.mark.worker
def test_health_reports_database_redis_and_worker(celery_worker, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"]["ok"]
    assert body["redis"]["ok"]
    assert body["worker"]["ok"]
    assert body["worker"]["workers"] >= 1
    celery_worker.kill()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False
