"""Security and reliability, part B (issue 23): data, uploads, exports, reliability.

One test per item of the review, named after it; each failed before its fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import socket
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any, cast

import pytest
import redis.exceptions
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Sum
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from contracts.models import Contract, Publication, PublishedContract
from diagnostics import selectors as diagnostics_selectors
from diagnostics import services as diagnostics_services
from diagnostics.models import Assessment, Framework
from portal import exports as portal_exports
from portal import services as portal_services
from portal.models import Job, User
from spend import selectors as spend_selectors
from spend import services as spend_services
from spend.models import ImportBatch, Payment
from tests.conftest import TEST_PASSWORD, WorkerProcess, downloaded, wait_for
from tests.contracts.conftest import CONTRACT
from tests.security.jobs_for_tests import KILL_WORKER

pytestmark = pytest.mark.django_db


@pytest.fixture
def frameworks(db: None) -> dict[str, Framework]:
    diagnostics_services.frameworks_sync()
    return {f.slug: f for f in Framework.objects.all()}


R12_SAMPLE = ("samples", "r12_paid_invoices_sample.csv")


def _r12_with_last_row_changed(data_dir: Path, tmp_path: Path, name: str, **cells: str) -> Path:
    """The real R12 sample with one more payment: a copy of its last row with cells changed."""
    lines = (data_dir.joinpath(*R12_SAMPLE)).read_bytes().decode("cp1252").splitlines()
    header = lines[0].split(",")
    [last] = list(csv.reader([lines[-1]]))
    row = dict(zip(header, last, strict=True))
    row["INVOICE_PAYMENT_ID"] = "99999991"
    row.update(cells)
    out = tmp_path / name
    with out.open("w", newline="", encoding="cp1252") as handle:
        handle.write("\r\n".join(lines) + "\r\n")
        csv.writer(handle, lineterminator="\r\n").writerow([row[h] for h in header])
    return out


# --- 3. Placeholder payment dates ----------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["31-DEC-9999", "01-JAN-0001"])
def test_3_placeholder_payment_dates_are_refused_with_line_and_column(
    data_dir: Path, tmp_path: Path, administrator: User, client: Client, placeholder: str
) -> None:
    path = _r12_with_last_row_changed(data_dir, tmp_path, "march.csv", CHECK_DATE=placeholder)
    line = len(path.read_bytes().splitlines())
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.REJECTED
    assert (batch.error_line, batch.error_column) == (line, "CHECK_DATE")
    assert batch.error.startswith(f"march.csv: Line {line}, column CHECK_DATE: ")
    assert placeholder in batch.error
    assert "1 April 1990" in batch.error
    # All or nothing: none of the file's good rows went in either.
    assert Payment.objects.count() == 0
    client.force_login(administrator)
    for page in ("/spend/", "/spend/locality/"):
        assert client.get(page).status_code == 200


def test_3_the_plausible_window_is_a_setting(
    data_dir: Path, tmp_path: Path, administrator: User, settings: Any
) -> None:
    path = _r12_with_last_row_changed(data_dir, tmp_path, "old.csv", CHECK_DATE="01-APR-20")
    settings.SPEND_EARLIEST_PAYMENT_DATE = dt.date(2020, 4, 2)
    settings.SPEND_PAYMENT_DAYS_AHEAD = 365
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.REJECTED
    assert "2 April 2020" in batch.error
    settings.SPEND_EARLIEST_PAYMENT_DATE = dt.date(2020, 4, 1)
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.LOADED, batch.error


# --- Low: an amount too large for the ledger -------------------------------------------------


def test_low_a_huge_amount_is_refused_with_line_and_column(
    data_dir: Path, tmp_path: Path, administrator: User
) -> None:
    path = _r12_with_last_row_changed(
        data_dir, tmp_path, "huge.csv", AMOUNT="99999999999999999999.99"
    )
    line = len(path.read_bytes().splitlines())
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.REJECTED, batch.error
    assert (batch.error_line, batch.error_column) == (line, "AMOUNT")
    assert "99999999999999999999.99" in batch.error
    assert Payment.objects.count() == 0


# --- 4. Self-assessment spreadsheets read read-only, with limits ----------------------------


def _answer_sheet(assessment: Assessment) -> Workbook:
    return load_workbook(
        io.BytesIO(diagnostics_services.assessment_xlsx_export(assessment=assessment))
    )


def _saved(workbook: Workbook) -> io.BytesIO:
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_4_a_small_spreadsheet_reaching_the_last_row_is_refused_at_once(
    frameworks: dict[str, Framework],
) -> None:
    nps = frameworks["nps-2022"]
    assessment = diagnostics_services.assessment_start(
        framework=nps, organisation=diagnostics_services.organisation_host_ensure()
    )
    workbook = _answer_sheet(assessment)
    sheet = workbook["Answers"]
    first_level = nps.spec.levels[0].name
    sheet["D8"] = first_level
    # One stray cell in Excel's last row: the file stays about 10 KB.
    sheet["A1048576"] = "x"
    upload = _saved(workbook)
    assert len(upload.getvalue()) < 20_000
    started = time.monotonic()
    with pytest.raises(diagnostics_services.SpreadsheetRefused) as refused:
        diagnostics_services.assessment_xlsx_import(assessment=assessment, file=upload)
    assert time.monotonic() - started < 5
    assert "row 5,001 or below" in str(refused.value)
    assert not assessment.answers.exists()  # nothing taken
    # The same sheet without the stray cell is read, answer and all.
    count = diagnostics_services.assessment_xlsx_import(
        assessment=assessment, file=_saved(_answer_sheet_with(assessment, first_level))
    )
    assert count >= 1
    assert assessment.answers.get(question_code=sheet["B8"].value).level_code == (
        nps.spec.levels[0].code
    )


def _answer_sheet_with(assessment: Assessment, level_name: str) -> Workbook:
    workbook = _answer_sheet(assessment)
    workbook["Answers"]["D8"] = level_name
    return workbook


def test_4_a_spreadsheet_with_a_huge_row_is_refused_before_it_is_parsed(
    frameworks: dict[str, Framework],
) -> None:
    assessment = diagnostics_services.assessment_start(
        framework=frameworks["nps-2022"],
        organisation=diagnostics_services.organisation_host_ensure(),
    )
    upload = _with_wide_row(_saved(_answer_sheet(assessment)).getvalue(), cells=50_000)
    with pytest.raises(diagnostics_services.SpreadsheetRefused) as refused:
        diagnostics_services.assessment_xlsx_import(assessment=assessment, file=io.BytesIO(upload))
    assert "more than 16,384 cells" in str(refused.value)


def _with_wide_row(xlsx: bytes, *, cells: int, sheet: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with one more row of ``cells`` numeric cells at the end of the sheet; the
    numbers vary, so the part compresses like real data, under the zip-ratio guard."""
    random = Random(15)
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == sheet:
                row = "".join(f"<c><v>{random.randrange(10**9)}</v></c>" for _ in range(cells))
                data = data.replace(
                    b"</sheetData>", f'<row r="2000">{row}</row></sheetData>'.encode()
                )
            target.writestr(member.filename, data)
    return out.getvalue()


# --- 15. A spend workbook with a row of millions of cells -----------------------------------


def test_15_a_spend_workbook_with_one_huge_row_is_refused_with_flat_memory(
    data_dir: Path, tmp_path: Path
) -> None:
    # The real Fusion sample with one row of a million cells added (about 7 MB).
    sample = (data_dir / "samples" / "fusion_paid_invoices_sample.xlsx").read_bytes()
    path = tmp_path / "wide.xlsx"
    path.write_bytes(_with_wide_row(sample, cells=1_000_000))
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
        assert part.file_size < 100 * part.compress_size  # under the zip-ratio guard
    script = (
        "import resource, sys\n"
        "from spend.ingest.parse import read_all\n"
        "from spend.ingest.errors import ImportRejected\n"
        "try:\n"
        "    read_all(sys.argv[1], 'wide.xlsx')\n"
        "    print('READ')\n"
        "except ImportRejected as error:\n"
        "    print('REFUSED', error)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    outcome, peak_kb = done.stdout.strip().rsplit("\n", 1)
    assert outcome.startswith("REFUSED wide.xlsx: "), done.stdout + done.stderr
    assert "a row of more than 16,384 cells" in outcome
    assert int(peak_kb) < 400 * 1024, f"peak {int(peak_kb) // 1024} MB"


@pytest.mark.worker
def test_15_a_job_that_kills_its_worker_is_not_redelivered_for_ever(
    start_worker: Callable[..., WorkerProcess], officer: User
) -> None:
    # Prefork, as deployed: the pool replaces a dead child and, with late acknowledgement,
    # Celery puts the task back on the queue.
    worker = start_worker(
        "--pool", "prefork", "--concurrency", "1", "--include", "tests.security.jobs_for_tests"
    )
    job = portal_services.job_start(kind=KILL_WORKER, title="Takes its worker down", user=officer)
    try:
        failed = wait_for(
            lambda: Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).first(), timeout=90
        )
        assert "stopped part-way" in failed.error
        assert "run it again" in failed.error
        # It was delivered twice (once to die, once to be failed) and run once.
        assert failed.attempts == 1
        # A person can run it again; the retried job is taken (and, here, dies again).
        assert failed.can_run_again
        portal_services.job_retry(job=failed)
        again = wait_for(
            lambda: Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).first(), timeout=90
        )
        assert again.attempts == 2
    finally:
        # A warm shutdown, so the pool's child goes with it (killing only the parent would
        # leave the child behind).
        worker.process.terminate()
        try:
            worker.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(timeout=10)


# --- 6. Redis down ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _redis_unreachable(settings: Any) -> Iterator[str]:
    """Point the cache and the Celery broker at a port nothing listens on: every Redis call
    the portal makes really fails to connect."""
    from portal.celery import app

    closed = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {
        "default": {**django_settings.CACHES["default"], "LOCATION": closed},
    }
    broker = app.conf.broker_url

    def use_broker(url: str) -> None:
        app.conf["broker_url"] = url
        # The producer pools were made for the URL in use before: let Celery make new ones.
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    use_broker(closed)
    try:
        yield closed
    finally:
        use_broker(broker)


@pytest.mark.worker
def test_6_with_redis_down_pages_work_and_an_upload_can_be_run_again_later(
    celery_worker: WorkerProcess,
    administrator: User,
    settings: Any,
    data_dir: Path,
    client: Client,
) -> None:
    sample = data_dir.joinpath(*R12_SAMPLE)
    with _redis_unreachable(settings) as closed:
        with pytest.raises(redis.exceptions.ConnectionError):
            redis.Redis.from_url(closed).ping()  # really unreachable
        assert client.get("/sign-in/").status_code == 200
        signed_in = client.post(
            "/sign-in/", {"email": administrator.email, "password": TEST_PASSWORD}
        )
        assert signed_in.status_code == 302, signed_in.content[:500]
        for page in ("/", "/spend/", "/spend/locality/", "/spend/transparency/", "/register/"):
            assert client.get(page).status_code == 200, page
        with sample.open("rb") as upload:
            response = client.post(
                "/spend/imports/", {"extracts": upload, "layout": "auto"}, follow=True
            )
        assert response.status_code == 200
        assert "the job queue could not be reached, so they are waiting" in (
            response.content.decode()
        )
        batch = ImportBatch.objects.get()
        assert batch.job is not None
        job = Job.objects.get(pk=batch.job.pk)
        assert job.status == Job.Status.QUEUED
        assert "job queue could not be reached" in job.message
        assert client.get(f"/jobs/{job.pk}/").status_code == 200
    # Redis is back; no worker has taken the job (its message never reached the queue).
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    job.refresh_from_db()
    assert job.can_run_again
    job_page = client.get(f"/jobs/{job.pk}/")
    assert b"This job has not started" in job_page.content
    client.post(f"/jobs/{job.pk}/retry/")
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        timeout=120,
    )
    assert done.status == Job.Status.SUCCEEDED, done.error
    expected = _sample_total_pence(sample)
    assert Payment.objects.spend().aggregate(t=Sum("amount_pence"))["t"] == expected


def _sample_total_pence(path: Path) -> int:
    """The R12 sample's total, read here with the csv module and Decimal (a voided payment
    would not count; the sample's payments are all paid ones)."""
    with path.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["STATUS_LOOKUP_CODE"] for row in rows} <= {"NEGOTIABLE", "CLEARED", "RECONCILED"}
    total = sum(Decimal(row["AMOUNT"].replace(",", "")) for row in rows)
    return int(total * 100)


# --- 5. The whole ledger exported in one request ----------------------------------------------


def _ledger_of(data_dir: Path, tmp_path: Path, administrator: User, copies: int) -> tuple[int, int]:
    """The real R12 sample imported, then each payment copied ``copies`` times in SQL (a
    ledger of tens of thousands of payments in a second). Returns (payments, total pence),
    computed from the file."""
    sample = data_dir.joinpath(*R12_SAMPLE)
    [batch] = spend_services.import_paths(paths=[sample], user=administrator)
    assert batch.status == ImportBatch.Status.LOADED, batch.error
    columns = [f.column for f in Payment._meta.concrete_fields if f.column != "id"]
    chosen = [
        "p.natural_key || '|copy' || g" if column == "natural_key" else f"p.{column}"
        for column in columns
    ]
    table = Payment._meta.db_table
    # The model's own table and column names, no input: not an injection.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(chosen)} FROM {table} p"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql + " CROSS JOIN generate_series(1, %s) g", [copies])
    with sample.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = sum(Decimal(row["AMOUNT"].replace(",", "")) * 100 for row in rows)
    return len(rows) * (copies + 1), int(total) * (copies + 1)


def test_5_the_whole_ledger_streams_as_csv_and_a_huge_xlsx_is_refused(
    data_dir: Path,
    tmp_path: Path,
    administrator: User,
    councillor: User,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count, total_pence = _ledger_of(data_dir, tmp_path, administrator, copies=999)
    assert count == 40_000
    client.force_login(councillor)
    tracemalloc.start()
    try:
        started = time.monotonic()
        response = client.get("/spend/payments/?_export=csv")
        assert isinstance(response, StreamingHttpResponse)
        chunks = iter(cast(Iterable[bytes], response.streaming_content))
        head = [next(chunks) for _ in range(3)]  # byte-order mark, header, first payment
        first_row_seconds = time.monotonic() - started
        lines = 0
        exported_pence = 0
        text = b"".join(head).decode("utf-8-sig").splitlines()
        for line in csv.reader(text[1:]):
            lines += 1
            exported_pence += int(Decimal(line[-1]) * 100)
        for chunk in chunks:
            for line in csv.reader(chunk.decode("utf-8").splitlines()):
                lines += 1
                exported_pence += int(Decimal(line[-1]) * 100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text[0].split(",") == list(spend_selectors.PAYMENTS_EXPORT_HEADER)
    assert (lines, exported_pence) == (count, total_pence)
    assert first_row_seconds < 3
    # Memory stays flat: a few MB however long the ledger (building it whole took gigabytes).
    assert peak < 20 * 1024**2, f"peak {peak // 1024**2} MB"
    # A spreadsheet is built whole, so beyond the limit (100,000; lowered here to keep the
    # test quick) it becomes a job whose file the reports centre lists (no worker runs here:
    # tests/spend/test_payments_export.py runs one).
    monkeypatch.setattr(portal_exports, "XLSX_MAX_ROWS", 30_000)
    queued = client.get("/spend/payments/?_export=xlsx", follow=True)
    job = Job.objects.get(kind="spend.payments_xlsx")
    assert queued.redirect_chain == [(f"/reports/#job-{job.pk}", 302)]
    assert job.params == {"query": "", "rows": 40_000}
    assert "The spreadsheet of 40,000 payments is being built" in queued.content.decode()
    # Narrowed to one supplier, the spreadsheet is made, with that supplier's payments.
    supplier = Payment.objects.values_list("supplier_id", flat=True).first()
    assert supplier is not None
    want = Payment.objects.filter(supplier_id=supplier).count()
    small = client.get(f"/spend/payments/?supplier={supplier}&_export=xlsx")
    assert small.status_code == 200
    sheet = list(load_workbook(io.BytesIO(small.content)).active.iter_rows(values_only=True))
    assert list(sheet[0]) == list(spend_selectors.PAYMENTS_EXPORT_HEADER)
    assert len(sheet) - 1 == want


# --- 8. The public register's downloads --------------------------------------------------------


def test_8_public_register_downloads_have_plain_references_and_every_supplier(
    client: Client,
) -> None:
    publication = Publication.objects.create(
        quarter="2024Q1",
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 3, 31),
        status=Publication.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    suppliers = [f"Framework Supplier {n:03d} Ltd" for n in range(1, 119)]
    PublishedContract.objects.create(
        publication=publication,
        reference="LCC/2024/0001",
        title="Highways maintenance framework",
        department="Highways",
        award_date=dt.date(2024, 1, 15),
        start_date=dt.date(2024, 2, 1),
        end_date=dt.date(2028, 1, 31),
        awarded_value=Decimal("12500000.00"),
        supplier_names="; ".join(suppliers),
        supplier_count=len(suppliers),
    )
    page = client.get("/register/")
    assert "and 113 more" in page.content.decode()  # the page still shortens the list
    exported = client.get("/register/?_export=csv")
    assert exported.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(downloaded(exported).decode("utf-8-sig"))))
    assert row["Reference"] == "LCC/2024/0001"
    assert row["Suppliers"].split("; ") == suppliers
    book = load_workbook(io.BytesIO(client.get("/register/?_export=xlsx").content))
    sheet = book.active
    assert sheet is not None
    header, values = list(sheet.iter_rows(values_only=True))
    cells = dict(zip(header, values, strict=True))
    assert cells["Reference"] == "LCC/2024/0001"
    assert str(cells["Suppliers"]).split("; ") == suppliers


# --- 11. Anonymous maturity-test responses ------------------------------------------------------


def test_11_public_test_starts_are_limited_per_client(
    frameworks: dict[str, Framework], settings: Any
) -> None:
    settings.SVMI_PUBLIC_STARTS_PER_CLIENT = 3
    script, person = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        started = script.post("/diagnostics/svmi/", {"respondent_kind": "supplier"})
        assert started.status_code == 302
    refused = script.post("/diagnostics/svmi/", {"respondent_kind": "supplier"})
    assert refused.status_code == 429
    assert "started too many times from your connection" in refused.content.decode()
    assert Assessment.objects.count() == 3
    # Someone else, elsewhere, is not held up.
    assert person.post("/diagnostics/svmi/", {"respondent_kind": "council"}).status_code == 302
    assert Assessment.objects.count() == 4


def _anonymous_response(svmi: Framework, level: str, *, seconds_taken: int) -> Assessment:
    assessment = diagnostics_services.assessment_start(
        framework=svmi, organisation=None, respondent_kind="supplier"
    )
    diagnostics_services.answer_save(
        assessment=assessment,
        answers={question.code: (level, "") for _, question in svmi.spec.questions()},
    )
    submitted = diagnostics_services.assessment_submit(assessment=assessment)
    assert submitted.submitted_at is not None
    Assessment.objects.filter(pk=submitted.pk).update(
        created_at=submitted.submitted_at - dt.timedelta(seconds=seconds_taken)
    )
    return submitted


def test_11_scripted_anonymous_responses_do_not_move_the_state_of_the_nation(
    frameworks: dict[str, Framework], officer: User, client: Client
) -> None:
    svmi = frameworks["svmi"]
    first, top = svmi.spec.levels[0].code, svmi.spec.levels[-1].code
    # Six people, each taking a few minutes, put themselves at the first level ...
    for _ in range(6):
        _anonymous_response(svmi, first, seconds_taken=300)
    # ... and twenty scripted submissions, each within a second, claim the top one.
    for _ in range(20):
        _anonymous_response(svmi, top, seconds_taken=0)
    [nation] = [n for n in diagnostics_selectors.state_of_the_nation_all() if n.framework == svmi]
    assert (nation.anonymous, nation.anonymous_set_aside, nation.responses) == (6, 20, 6)
    overall = nation.report.overall
    assert overall.released
    assert overall.counts is not None
    expected = {level.code: 6 if level.code == first else 0 for level in svmi.spec.levels}
    assert dict(overall.counts) == expected
    client.force_login(officer)
    page = client.get("/diagnostics/state-of-the-nation/").content.decode()
    assert "6 responses: 0 from named organisations, 6 anonymous." in page
    assert "20 more anonymous responses were set aside" in page


# --- Low: the column-mapping page when the stored file is gone ---------------------------------


def test_low_column_mapping_page_when_the_stored_file_is_gone(
    tmp_path: Path, administrator: User, client: Client, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    odd = tmp_path / "march.csv"
    odd.write_text(
        'Payee,Paid on,Value (GBP),Our ref,Team\n"Acme Ltd",03/03/2024,"1,200.50",A1,X\n'
    )
    with odd.open("rb") as source:
        batch = spend_services.batch_receive(source=source, file_name=odd.name, user=administrator)
    spend_services.batches_start(batches=[batch], user=administrator)
    batch.refresh_from_db()
    assert batch.job_id is not None
    portal_services.job_run(job_id=batch.job_id)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
    spend_services.batch_file_path(batch).unlink()  # housekeeping, a move, a restore ...
    client.force_login(administrator)
    for response in (
        client.get(f"/spend/imports/{batch.pk}/mapping/", follow=True),
        client.post(f"/spend/imports/{batch.pk}/mapping/", {"name": "x"}, follow=True),
    ):
        assert response.redirect_chain == [(f"/spend/imports/{batch.pk}/", 302)]
        assert "The uploaded copy of march.csv is no longer kept" in response.content.decode()
    assert ImportBatch.objects.count() == 1  # nothing was started on a file that is not there


# --- Low: the contract form and award monitoring ---------------------------------------------

GOOD_CONTRACT = {**CONTRACT, "reference": "SEC-1"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vat_not_recoverable", "-100", "The VAT not recoverable cannot be negative."),
        ("award_date", "0001-01-01", "The year must be from 1950 to 2100."),
        ("start_date", "0001-05-01", "The year must be from 1950 to 2100."),
        ("award_date", "2027-05-01", "The award date must be on or before the end date."),
    ],
)
def test_low_the_contract_form_refuses_what_the_register_cannot_hold(
    officer: User, client: Client, field: str, value: str, message: str
) -> None:
    client.force_login(officer)
    response = client.post("/contracts/new/", {**GOOD_CONTRACT, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Contract.objects.exists()
    assert client.post("/contracts/new/", GOOD_CONTRACT).status_code == 302
    assert client.get("/contracts/awards/?fy=2024").status_code == 200


@pytest.mark.parametrize("fy", ["0", "-1", "99999", "1", "20x3"])
def test_low_a_financial_year_from_the_address_is_checked(
    officer: User, client: Client, fy: str
) -> None:
    client.force_login(officer)
    for page in ("/contracts/awards/", "/spend/", "/spend/quality/size/"):
        response = client.get(page, {"fy": fy})
        assert response.status_code == 400, page
        assert f"&#x27;{fy}&#x27; is not a financial year the portal holds" in (
            response.content.decode()
        )
        assert "?fy=2023 for 2023/24" in response.content.decode()
