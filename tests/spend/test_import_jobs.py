"""Imports as jobs on a real Celery worker: uploads through the page, and a worker killed
halfway through a file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts import selectors as register
from demo.extracts import write_r12_benchmark_csv
from portal import services as portal_services
from portal.models import Job
from spend import services
from spend.models import ImportBatch, Payment, SpendSummary, Supplier
from tests.conftest import wait_for

pytestmark = pytest.mark.worker


def test_upload_several_files_through_the_page(
    celery_worker, administrator, data_dir: Path, client: Client
) -> None:
    client.force_login(administrator)
    samples = data_dir / "samples"
    with (
        (samples / "r12_paid_invoices_sample.csv").open("rb") as r12,
        (samples / "fusion_paid_invoices_sample.xlsx").open("rb") as fusion,
        (samples / "contract_register_sample.csv").open("rb") as wrong,
    ):
        response = client.post(
            reverse("spend:imports"), {"extracts": [r12, fusion, wrong], "layout": "auto"}
        )
    assert response.status_code == 302
    batches = list(ImportBatch.objects.order_by("pk"))
    assert len(batches) == 3
    # Wait for the jobs, not only the batches: a batch's status is set a moment before its
    # job records how it ended.
    finished = wait_for(
        lambda: all(
            b.status not in ("waiting", "loading")
            and b.job is not None
            and b.job.status not in (Job.Status.QUEUED, Job.Status.RUNNING)
            for b in ImportBatch.objects.select_related("job")
        ),
        timeout=90,
    )
    assert finished
    statuses = {b.file_name: b.status for b in ImportBatch.objects.all()}
    assert statuses == {
        "r12_paid_invoices_sample.csv": "loaded",
        "fusion_paid_invoices_sample.xlsx": "loaded",
        "contract_register_sample.csv": "rejected",
    }
    rejected = ImportBatch.objects.get(status="rejected")
    assert rejected.job is not None
    assert rejected.job.status == Job.Status.FAILED
    assert "No header row was found" in rejected.job.error
    page = client.get(reverse("spend:imports")).content.decode()
    assert "Rejected" in page
    assert "Loaded" in page
    detail = client.get(rejected.get_absolute_url()).content.decode()
    assert "Nothing from this file was added to the ledger" in detail
    assert Payment.objects.count() == sum(b.rows_added for b in ImportBatch.objects.all())


def test_councillors_and_officers_cannot_upload(
    client: Client, officer, councillor, transactional_db: None
) -> None:
    for person in (officer, councillor):
        client.force_login(person)
        assert client.get(reverse("spend:imports")).status_code == 403


def chunk_processes() -> list[str]:
    """Command lines of the processes reading chunks of an import (spend.ingest.chunks)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "spend.ingest.chunks" in command:
            found.append(command)
    return found


def test_a_worker_killed_mid_import_leaves_nothing_and_the_batch_can_be_retried(
    start_worker, administrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cut into chunks read by child processes, which must die with the worker.
    monkeypatch.setenv("SPEND_IMPORT_CHUNK_BYTES", str(2 * 1024 * 1024))
    path = tmp_path / "r12_big.csv"
    expected = write_r12_benchmark_csv(path, rows=150_000)
    with path.open("rb") as source:
        batch = services.batch_receive(source=source, file_name=path.name, user=administrator)
    [batch] = services.batches_start(batches=[batch], user=administrator)
    job_id = batch.job_id
    assert job_id is not None
    worker = start_worker()
    # Wait until the worker is part-way through reading and copying the rows, then kill it.
    wait_for(
        lambda: Job.objects.get(pk=job_id).message.startswith("Read "), timeout=120, interval=0.02
    )
    assert chunk_processes()
    worker.kill()
    wait_for(lambda: not chunk_processes(), timeout=10)
    assert Payment.objects.count() == 0
    assert Supplier.objects.count() == 0
    assert SpendSummary.objects.count() == 0
    job = Job.objects.get(pk=job_id)
    assert job.status == Job.Status.RUNNING
    # Time passes with no heartbeat from the dead worker: the job shows as stalled.
    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    assert job.is_stalled
    portal_services.job_retry(job=job)
    start_worker()
    # The batch is marked loaded inside the job, a moment before the job records success;
    # and the retried job is queued, not running, until the new worker takes it.
    wait_for(
        lambda: Job.objects.get(pk=job_id).status in (Job.Status.SUCCEEDED, Job.Status.FAILED),
        timeout=300,
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert ImportBatch.objects.get(pk=batch.pk).status == "loaded"
    assert job.attempts == 2
    total = Payment.objects.spend().aggregate(t=Sum("amount_pence"))["t"]
    assert total == expected.total_pence
    assert Payment.objects.spend().count() == expected.spend_rows


def test_after_an_import_a_worker_prepares_the_dashboards(
    celery_worker, administrator, data_dir: Path
) -> None:
    from django.core.cache import cache

    from spend import selectors

    path = data_dir / "samples" / "r12_paid_invoices_sample.csv"
    with path.open("rb") as source:
        batch = services.batch_receive(source=source, file_name=path.name, user=administrator)
    services.batches_start(batches=[batch], user=administrator)
    warm = wait_for(
        lambda: Job.objects.filter(
            kind=services.WARM_JOB_KIND, status__in=["succeeded", "failed"]
        ).first(),
        timeout=90,
    )
    assert warm.status == Job.Status.SUCCEEDED, warm.error
    years = selectors.financial_years()
    assert warm.result["financial_years"] == years[-2:]
    version = selectors.summary_version()
    for fy in years[-2:]:
        assert cache.get(f"spend-selectors:{version}:year:{fy}") is not None
        assert cache.get(f"spend-selectors:{version}:suppliers:{fy}") is not None
    # And the off-contract page as it opens: read from the cache, no query past the versions.
    with register.one_register_version(), CaptureQueriesContext(connection) as read:
        for fy in years[-2:]:
            register.spend_without_contract(fy=fy)
    assert not read.captured_queries
    # The same file again adds nothing, so there is nothing new to prepare.
    with path.open("rb") as source:
        again = services.batch_receive(source=source, file_name=path.name, user=administrator)
    [again] = services.batches_start(batches=[again], user=administrator)
    assert again.job_id is not None
    again_job = again.job_id
    wait_for(lambda: Job.objects.filter(pk=again_job, status="succeeded").exists(), timeout=90)
    assert Job.objects.filter(kind=services.WARM_JOB_KIND).count() == 1
