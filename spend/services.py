"""Writes to the spend ledger: receiving uploads, importing them, and reference data.

An import is a job (kind ``spend.import``): the upload page and ``manage.py import_spend``
both create an ``ImportBatch`` per file and run ``import_batch`` for it, in a worker or
in-process. ``spend.ingest.load.load_file`` does the loading in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from portal import locality
from portal import services as portal_services
from portal.formatting import month_name, pounds
from portal.jobs import JobFailed, Progress
from portal.models import Job, User
from portal.periods import financial_year_of
from spend import register_links, selectors
from spend.ingest.errors import ImportRejected
from spend.ingest.layouts import normalise_header
from spend.ingest.load import (
    IMPORT_LOCK_ID,
    LOCALITY_CASE,
    RECLASSIFY_SITES,
    LoadResult,
    load_file,
    rebuild_summaries,
)
from spend.ingest.normalise import redaction_key
from spend.ingest.parse import ImportHeader, iter_payments
from spend.ingest.readers import NoHeader, OpenedFile, open_rows, sniff_kind
from spend.models import (
    Category,
    CategoryRule,
    ColumnMappingProfile,
    ImportBatch,
    Payment,
    PostcodeDistrict,
    RedactionMarker,
    SpendSummary,
    SundrySupplierNumber,
    Withdrawal,
)

ACCEPTED_EXTENSIONS = (".csv", ".txt", ".xlsx")
IMPORT_JOB_KIND = "spend.import"
WARM_JOB_KIND = "spend.warm_dashboards"


class UploadRefused(Exception):
    """An uploaded file refused before import (size or type); the message says why."""


# --- Receiving files -------------------------------------------------------------------------


def _sha256_and_copy(source: IO[bytes], destination: Path | None) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    out = destination.open("wb") if destination else None
    try:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
            if size > settings.UPLOAD_MAX_BYTES:
                raise UploadRefused(
                    f"The file is larger than the {settings.UPLOAD_MAX_BYTES // 1024**2:,} MB "
                    "allowed. Split it (for example one file per financial year) and upload "
                    "the parts."
                )
            if out:
                out.write(chunk)
    finally:
        if out:
            out.close()
    return digest.hexdigest(), size


def _check_type(file_name: str, head: bytes) -> None:
    if not file_name.lower().endswith(ACCEPTED_EXTENSIONS):
        raise UploadRefused(
            f"{file_name}: only CSV and XLSX files can be imported. Export the report from "
            "Oracle as CSV or Excel (.xlsx) and upload that."
        )
    try:
        sniff_kind(head)
    except ImportRejected as refusal:
        raise UploadRefused(f"{file_name}: {refusal.reason}") from None


def batch_receive(
    *,
    source: IO[bytes],
    file_name: str,
    user: User | None,
    layout: str = "auto",
    keep_path: Path | None = None,
    replaces: ImportBatch | None = None,
    replaces_months: bool = False,
) -> ImportBatch:
    """Record an uploaded file as a batch waiting to import, or as refused (size, type).

    Uploads are copied under MEDIA_ROOT/imports/. ``keep_path`` (the command line) imports a
    file where it lies instead of copying it. ``replaces``: the batch this file replaces;
    ``replaces_months``: the file replaces every payment of the months it covers.
    """
    batch = ImportBatch(
        file_name=Path(file_name).name[:255],
        layout_requested=layout,
        uploaded_by=user,
        replaces=replaces,
        replaces_months=replaces_months,
        # Choosing to replace is the administrator's decision on a doubled month.
        confirmed=replaces is not None or replaces_months,
    )
    head = source.read(8192)
    source.seek(0)
    folder: Path | None = None
    try:
        _check_type(batch.file_name, head)
        if keep_path is None:
            folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
            folder.mkdir(parents=True, exist_ok=True)
            stored = folder / (Path(file_name).suffix.lower() or ".csv")
            batch.sha256, batch.size_bytes = _sha256_and_copy(source, stored)
            batch.stored_file = str(stored.relative_to(settings.MEDIA_ROOT))
        else:
            batch.sha256, batch.size_bytes = _sha256_and_copy(source, None)
            batch.stored_file = str(keep_path.resolve())
    except UploadRefused as refusal:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        batch.stored_file = ""
        batch.status = ImportBatch.Status.REJECTED
        batch.error = str(refusal)
        batch.finished_at = timezone.now()
    batch.save()
    return batch


def batches_start(*, batches: Iterable[ImportBatch], user: User | None) -> list[ImportBatch]:
    """Queue an import job for each batch that is waiting."""
    started = []
    for batch in batches:
        if batch.status != ImportBatch.Status.WAITING:
            continue
        job = portal_services.job_start(
            kind=IMPORT_JOB_KIND,
            title=f"Import {batch.file_name}",
            params={"batch_id": batch.pk},
            user=user,
        )
        batch.job = job
        batch.save(update_fields=["job"])
        started.append(batch)
    return started


def batch_file_path(batch: ImportBatch) -> Path:
    path = Path(batch.stored_file)
    return path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path


# --- Importing ---------------------------------------------------------------------------------


def _finish(batch_id: int, **fields: Any) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(finished_at=timezone.now(), **fields)


def import_batch(job: Job, progress: Progress) -> dict[str, Any]:
    """Import one uploaded file into the ledger (the ``spend.import`` job)."""
    batch = ImportBatch.objects.get(pk=job.params["batch_id"])
    if batch.status in (
        ImportBatch.Status.LOADED,
        ImportBatch.Status.DUPLICATE,
        ImportBatch.Status.WITHDRAWN,
    ):
        # A redelivered task for a file already imported: nothing more to do.
        return {
            "batch_id": batch.pk,
            "url": batch.get_absolute_url(),
            "link_text": "See the import",
        }
    earlier = (
        ImportBatch.objects.filter(sha256=batch.sha256, status=ImportBatch.Status.LOADED)
        .exclude(pk=batch.pk)
        .order_by("created_at")
        .first()
    )
    if earlier is not None and batch.replaces_id != earlier.pk:
        _finish(batch.pk, status=ImportBatch.Status.DUPLICATE, duplicate_of=earlier)
        progress(100, "Already imported")
        return {
            "batch_id": batch.pk,
            "duplicate_of": earlier.pk,
            "url": batch.get_absolute_url(),
            "link_text": "See the import",
        }
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.LOADING, error="", error_line=None, error_column=""
    )

    ledger = ledger_identities()
    headers: list[ImportHeader] = []

    def load(profile: ColumnMappingProfile | None) -> LoadResult:
        # One transaction: what the file replaces leaves the ledger only if the file loads.
        with transaction.atomic():
            _lock_imports()
            if batch.replaces_id is not None or batch.replaces_months:
                _withdraw_replaced(batch, profile)
            header, result = load_file(
                batch_file_path(batch),
                file_name=batch.file_name,
                batch_id=batch.pk,
                layout_hint=batch.layout_requested,
                size_bytes=batch.size_bytes,
                mapping=profile.mapping if profile else None,
                progress=progress,
                good_rows_only=batch.good_rows_only,
                **ledger,
            )
            headers[:] = [header]
            warning = "" if batch.confirmed else doubling_warning(batch, header, result)
            if warning:
                raise ImportHeld(warning)
            _record_sundry_numbers(batch, header)
        return result

    try:
        try:
            result = load(batch.mapping_profile)
        except ImportRejected:
            # No layout reads it: a column mapping saved for files like this one may.
            profile = None
            if batch.mapping_profile is None and batch.layout_requested in ("auto", "transparency"):
                profile = mapping_profile_for(batch)
            if profile is None:
                raise
            ImportBatch.objects.filter(pk=batch.pk).update(mapping_profile=profile)
            result = load(profile)
    except ImportHeld as held:
        _finish(batch.pk, status=ImportBatch.Status.HELD, warning=str(held))
        progress(100, "Held: needs a decision")
        return {
            "batch_id": batch.pk,
            "held": str(held),
            "url": batch.get_absolute_url(),
            "link_text": "Decide what to do with the file",
        }
    except ImportRejected as refusal:
        _finish(
            batch.pk,
            status=ImportBatch.Status.REJECTED,
            error=str(refusal),
            error_line=refusal.line_number,
            error_column=refusal.column or "",
        )
        raise JobFailed(f"{refusal} Nothing from the file was added to the ledger.") from None
    except FileNotFoundError:
        _finish(
            batch.pk,
            status=ImportBatch.Status.FAILED,
            error="The uploaded copy of the file is missing. Upload the file again.",
        )
        raise JobFailed("The uploaded copy of the file is missing. Upload it again.") from None
    except Exception as error:
        # The transaction has rolled back; say so on the batch too, then let the job record it.
        _finish(
            batch.pk,
            status=ImportBatch.Status.FAILED,
            error=f"The import stopped with an unexpected error ({type(error).__name__}). "
            "Nothing from the file was added. Run the job again; if it fails again, tell "
            "the portal's administrator.",
        )
        raise
    _finish(
        batch.pk,
        status=ImportBatch.Status.LOADED,
        layout=result.layout,
        rows_read=result.rows_read,
        rows_added=result.rows_added,
        rows_already_present=result.rows_already_present,
        rows_not_spend=result.rows_not_spend,
        rows_skipped=result.rows_skipped,
        rows_voided_later=result.rows_voided_later,
        total_added_pence=result.total_added_pence,
        financial_years=result.financial_years,
        # What was noted before (a refusal the good rows were chosen over) stays.
        report={**batch.report, **(reading_report(headers[0]) if headers else {})},
        warning="",
        refused_rows=[list(row) for row in headers[0].refused_rows] if headers else [],
        error="",
        error_line=None,
        error_column="",
    )
    # One queued warm-up serves any number of imports that finish before it runs.
    if (result.rows_added or result.rows_voided_later) and not Job.objects.filter(
        kind=WARM_JOB_KIND, status=Job.Status.QUEUED
    ).exists():
        portal_services.job_start(kind=WARM_JOB_KIND, title="Prepare the spend dashboards")
    return {
        "batch_id": batch.pk,
        "rows_read": result.rows_read,
        "rows_added": result.rows_added,
        "url": batch.get_absolute_url(),
        "link_text": "See what was imported",
    }


def dashboards_warm() -> list[int]:
    """The figures the dashboards and the register's off-contract page open with, for the
    latest years, worked out before anyone asks (seconds each, cold, on a large ledger): the
    post-import job. Returns the years warmed."""
    years = selectors.dashboards_warm()
    register = register_links.links()
    if register is not None:
        for fy in years:
            register.warm(fy)
    return years


class ImportHeld(Exception):
    """The file looks doubled: held (nothing loaded) until an administrator decides."""


class WithdrawRefused(Exception):
    """A withdrawal or its undo that cannot be done; the message says why."""


def _lock_imports() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])


def ledger_identities() -> dict[str, Any]:
    """The redaction markers and sundry supplier numbers the import files payees by."""
    return {
        "redaction_markers": list(RedactionMarker.objects.values_list("text", flat=True)),
        "sundry_numbers": list(
            SundrySupplierNumber.objects.values_list("supplier_number", flat=True)
        ),
    }


def _record_sundry_numbers(batch: ImportBatch, header: ImportHeader) -> None:
    """Sundry numbers found in this file apply to every later file too."""
    known = set(SundrySupplierNumber.objects.values_list("supplier_number", flat=True))
    SundrySupplierNumber.objects.bulk_create(
        [
            SundrySupplierNumber(
                supplier_number=number[:40], found_in=batch, note="Found: many payee names"
            )
            for number in sorted(header.sundry_numbers - known)
        ],
        ignore_conflicts=True,
    )


def reading_report(header: ImportHeader) -> dict[str, Any]:
    """What the batch page says about how the file was read."""
    return {
        "header_line": header.header_line,
        "header_not_at_top": header.header_not_at_top,
        "sheets_read": [
            {"sheet": title, "header_line": line, "rows": rows}
            for title, line, rows in header.sheets_read
        ],
        "sheets_skipped": [{"sheet": title, "why": why} for title, why in header.sheets_skipped],
        "aggregate_rows": [{"line": line, "pence": pence} for line, pence in header.aggregate_rows],
        "redacted_rows": header.redacted_rows,
        "sundry_numbers": sorted(header.sundry_numbers),
    }


# A month already held counts as doubled when the file adds as much again (within this share).
DOUBLING_TOLERANCE = Decimal("0.01")


def doubling_warning(batch: ImportBatch, header: ImportHeader, result: LoadResult) -> str:
    """Why the file should not count without a decision: every row appears twice, or it adds
    to a month the ledger already holds about as much again. "" when neither."""

    if header.payment_rows >= 2 and header.repeated_rows * 2 >= header.payment_rows:
        return (
            f"Every payment in this file appears twice ({header.repeated_rows:,} of its "
            f"{header.payment_rows:,} rows repeat another row exactly). If the council "
            "published the month twice over, ask for a corrected file; import it anyway only "
            "if the repeats are real payments."
        )
    added = list(
        Payment.objects.spend()
        .filter(batch=batch)
        .annotate(month=TruncMonth("payment_date"))
        .values("month")
        .annotate(total=Sum("amount_pence"))
        .order_by("month")
    )
    # The month's spend with this file's in it, from the dashboards' summary (kept in this
    # transaction): one index range, where asking the payments took a scan of the whole
    # ledger for each month (5 s a month at 10M payments).
    months = [row["month"] for row in added]
    in_ledger = dict(
        SpendSummary.objects.filter(
            financial_year__in={financial_year_of(month) for month in months}, month__in=months
        )
        .values("month")
        .annotate(total=Sum("total_pence"))
        .values_list("month", "total")
    )
    for row in added:
        month = row["month"]
        held = in_ledger.get(month, 0) - row["total"]
        if held and abs(Decimal(row["total"] - held)) <= DOUBLING_TOLERANCE * abs(held):
            return (
                f"The ledger already holds {pounds(held)} of spend for {month_name(month)}, "
                f"and this file would add {pounds(row['total'])} more for the same month: it "
                "would double the month. If it is a corrected file, import it as the "
                "replacement of the month; import it anyway only if both are real payments."
            )
    return ""


# --- Withdrawing a batch, replacing a period, and undoing either -----------------------------

WITHDRAWN_ROWS = """
WITH gone AS (
    DELETE FROM spend_payment p WHERE {where} RETURNING p.*
)
INSERT INTO spend_withdrawnpayment (withdrawal_id, payment_id, row)
SELECT %(withdrawal)s, gone.id, to_jsonb(gone) FROM gone
"""

WITHDRAWN_TOTALS = """
SELECT count(*), coalesce(sum(amount_pence) FILTER (WHERE is_spend), 0),
       coalesce(array_agg(DISTINCT financial_year), '{{}}')
FROM spend_payment p WHERE {where}
"""

RESTORE_ROWS = """
INSERT INTO spend_payment
SELECT (jsonb_populate_record(NULL::spend_payment, w.row)).*
FROM spend_withdrawnpayment w WHERE w.withdrawal_id = %(withdrawal)s
ON CONFLICT (natural_key) DO NOTHING
"""


def _take_out(
    withdrawal: Withdrawal, where: str, params: dict[str, Any]
) -> tuple[int, int, list[int]]:
    """Move the payments ``where`` says from the ledger to the withdrawal's rows."""

    with connection.cursor() as cursor:
        # ``where`` is BY_BATCH or BY_MONTHS; the values are parameters.
        cursor.execute(WITHDRAWN_TOTALS.format(where=where), params)
        count, total, years = cursor.fetchone()
        cursor.execute(WITHDRAWN_ROWS.format(where=where), {**params, "withdrawal": withdrawal.pk})
    return int(count), int(total), sorted(int(y) for y in years)


# Which payments a withdrawal takes: a batch's, or every payment of some months.
BY_BATCH = "p.batch_id = %(batch)s"
BY_MONTHS = "date_trunc('month', p.payment_date)::date = ANY(%(months)s)"


def _reload_sharing(months: list[dt.date], exclude: set[int]) -> None:
    """Files still loaded that cover these months are read again: rows they share with what
    was withdrawn come back under them (the ledger equals an import of the files left)."""

    if not months:
        return
    # The files' own rows are not all in the ledger under them (a row two files hold is
    # filed under the first), so every loaded file of the same financial years is read again.
    years = {financial_year_of(m) for m in months}
    others = [
        other
        for other in ImportBatch.objects.filter(status=ImportBatch.Status.LOADED)
        .exclude(pk__in=exclude)
        .order_by("created_at", "pk")
        if years & set(other.financial_years or [])
    ]
    for other in others:
        path = batch_file_path(other)
        if not path.exists():
            raise WithdrawRefused(
                f"{other.file_name} (import {other.pk}) covers the same months but its stored "
                "copy is missing, so the ledger could not be made to match the files left. "
                "Nothing was withdrawn."
            )
        load_file(
            path,
            file_name=other.file_name,
            batch_id=other.pk,
            layout_hint=other.layout_requested,
            mapping=other.mapping_profile.mapping if other.mapping_profile else None,
            **ledger_identities(),
        )


def _withdraw(
    *,
    batch: ImportBatch | None,
    months: list[dt.date],
    user: User | None,
    reason: str,
    replaced_by: ImportBatch | None = None,
) -> Withdrawal:
    """Take a batch's payments (or every payment of these months) out of the ledger."""

    withdrawal = Withdrawal.objects.create(
        batch=batch,
        months=[m.isoformat() for m in months],
        replaced_by=replaced_by,
        reason=reason,
        performed_by=user,
    )
    params: dict[str, Any]
    if batch is not None:
        where, params = BY_BATCH, {"batch": batch.pk}
    else:
        where, params = BY_MONTHS, {"months": months}
    count, total, years = _take_out(withdrawal, where, params)
    taken_months = sorted(
        {
            dt.date.fromisoformat(str(r["row"]["payment_date"])).replace(day=1)
            for r in withdrawal.rows.values("row")
        }
    )
    if batch is not None:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.WITHDRAWN)
        _reload_sharing(taken_months, {batch.pk} | ({replaced_by.pk} if replaced_by else set()))
    Withdrawal.objects.filter(pk=withdrawal.pk).update(
        payment_count=count, total_pence=total, financial_years=years
    )
    rebuild_summaries(years)
    withdrawal.refresh_from_db()
    return withdrawal


@transaction.atomic
def batch_withdraw(*, batch: ImportBatch, user: User | None, reason: str = "") -> Withdrawal:
    """Withdraw a loaded batch: its payments leave the ledger, the summaries follow, and the
    withdrawal is recorded (and can be undone while no later import depends on it)."""
    _lock_imports()
    batch.refresh_from_db()
    if batch.status != ImportBatch.Status.LOADED:
        raise WithdrawRefused(
            f"{batch.file_name} is {batch.get_status_display().lower()}, not loaded: there is "
            "nothing of it in the ledger to withdraw."
        )
    return _withdraw(batch=batch, months=[], user=user, reason=reason)


def _withdraw_replaced(batch: ImportBatch, profile: ColumnMappingProfile | None) -> None:
    """Before a replacement loads: what it replaces leaves the ledger (same transaction)."""
    user = batch.uploaded_by
    if batch.replaces_id is not None:
        old = ImportBatch.objects.get(pk=batch.replaces_id)
        if old.status == ImportBatch.Status.LOADED:
            _withdraw(
                batch=old,
                months=[],
                user=user,
                reason=f"Replaced by {batch.file_name} (import {batch.pk})",
                replaced_by=batch,
            )
        return
    months = file_months(batch, profile)
    _withdraw(
        batch=None,
        months=months,
        user=user,
        reason=f"Months replaced by {batch.file_name} (import {batch.pk})",
        replaced_by=batch,
    )


def file_months(batch: ImportBatch, profile: ColumnMappingProfile | None = None) -> list[dt.date]:
    """The calendar months a stored file's payments fall in (for replacing a period)."""

    _header, payments = iter_payments(
        batch_file_path(batch),
        batch.file_name,
        batch.layout_requested,
        profile.mapping if profile else None,
    )
    return sorted({p.payment_date.replace(day=1) for p in payments})


@transaction.atomic
def withdrawal_undo(*, withdrawal: Withdrawal, user: User | None) -> Withdrawal:
    """Put a withdrawal's payments back (and take out the file that replaced them), while no
    import has loaded since: a later file may hold the same payments."""

    _lock_imports()
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    if withdrawal.undone_at is not None:
        raise WithdrawRefused("This withdrawal has already been undone.")
    newer = (
        ImportBatch.objects.filter(
            status=ImportBatch.Status.LOADED, finished_at__gt=withdrawal.performed_at
        )
        .exclude(pk__in=[withdrawal.replaced_by_id] if withdrawal.replaced_by_id else [])
        .order_by("finished_at")
        .first()
    )
    if newer is not None:
        raise WithdrawRefused(
            f"{newer.file_name} (import {newer.pk}) was imported after this withdrawal and may "
            "hold the same payments. Withdraw it first, then undo this."
        )
    years = set(withdrawal.financial_years)
    replacement = withdrawal.replaced_by
    if replacement is not None and replacement.status == ImportBatch.Status.LOADED:
        taken = _withdraw(
            batch=replacement, months=[], user=user, reason=f"Undo of withdrawal {withdrawal.pk}"
        )
        years |= set(taken.financial_years)

    with connection.cursor() as cursor:
        cursor.execute(RESTORE_ROWS, {"withdrawal": withdrawal.pk})
    if withdrawal.batch_id is not None:
        ImportBatch.objects.filter(pk=withdrawal.batch_id).update(status=ImportBatch.Status.LOADED)
    withdrawal.rows.all().delete()
    withdrawal.undone_at = timezone.now()
    withdrawal.undone_by = user
    withdrawal.save(update_fields=["undone_at", "undone_by"])
    rebuild_summaries(years)
    return withdrawal


@transaction.atomic
def batch_import_good_rows(*, batch: ImportBatch, user: User | None) -> ImportBatch:
    """An administrator's explicit choice for a file refused for a bad row: import every good
    row and set the refused ones aside (kept on the batch, downloadable). The batch waits to
    be imported again; its refusal is kept in its report."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.REJECTED or batch.error_line is None:
        raise WithdrawRefused(
            f"{batch.file_name} was not refused for a bad row, so there are no good rows to "
            "import on their own."
        )
    if not batch.stored_file:
        raise WithdrawRefused(f"{batch.file_name} was not kept, so it cannot be read again.")
    batch.report = {**batch.report, "refused_before": batch.error, "good_rows_chosen_by": str(user)}
    batch.good_rows_only = True
    batch.status = ImportBatch.Status.WAITING
    batch.save(update_fields=["report", "good_rows_only", "status"])
    return batch


REFUSED_ROWS_HEADER = ("Line", "Column", "Value", "Reason")


def refused_rows_csv(batch: ImportBatch) -> list[tuple[Any, ...]]:
    """The rows "import the good rows" set aside, as the download has them (line, column,
    value, reason)."""
    return [tuple(row) for row in batch.refused_rows]


@transaction.atomic
def batch_decide(*, batch: ImportBatch, decision: str, user: User | None) -> ImportBatch:
    """An administrator's decision on a held file: ``import`` it anyway, or import it as the
    replacement of the ``months`` it covers. The batch waits to be imported again (the page
    queues it, the command runs it here)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.HELD:
        raise WithdrawRefused(f"{batch.file_name} is not waiting for a decision.")
    if decision == "import":
        batch.confirmed = True
    elif decision == "months":
        batch.replaces_months = True
        batch.confirmed = True
    else:
        raise ValueError(decision)
    batch.status = ImportBatch.Status.WAITING
    batch.warning = ""
    batch.save(update_fields=["confirmed", "replaces_months", "status", "warning"])
    return batch


@transaction.atomic
def redaction_marker_add(*, text: str, user: User | None) -> RedactionMarker:
    text = " ".join(text.split())
    if not redaction_key(text) and text.strip("*") == "":
        text = "*"  # one marker stands for any run of asterisks
    marker, _ = RedactionMarker.objects.get_or_create(text=text, defaults={"created_by": user})
    return marker


@transaction.atomic
def redaction_marker_remove(*, marker: RedactionMarker) -> None:
    marker.delete()


@transaction.atomic
def sundry_number_declare(
    *, supplier_number: str, note: str, user: User | None
) -> SundrySupplierNumber:
    number, _ = SundrySupplierNumber.objects.update_or_create(
        supplier_number=supplier_number.strip(),
        defaults={"declared_by": user, "note": note or "Declared by an administrator"},
    )
    return number


@transaction.atomic
def sundry_number_remove(*, number: SundrySupplierNumber) -> None:
    number.delete()


def import_paths(
    *,
    paths: Iterable[Path],
    user: User | None = None,
    layout: str = "auto",
    replaces: ImportBatch | None = None,
    replaces_months: bool = False,
) -> list[ImportBatch]:
    """Import files from disk in this process (``manage.py import_spend``), one job each."""
    finished = []
    for path in paths:
        with path.open("rb") as source:
            batch = batch_receive(
                source=source,
                file_name=path.name,
                user=user,
                layout=layout,
                keep_path=path,
                replaces=replaces,
                replaces_months=replaces_months,
            )
        finished.append(batch_run_here(batch=batch, user=user))
    return finished


def batch_run_here(*, batch: ImportBatch, user: User | None) -> ImportBatch:
    """Import a waiting batch in this process (the command line), as its job."""
    batch.refresh_from_db()
    if batch.status == ImportBatch.Status.WAITING:
        job = Job.objects.create(
            kind=IMPORT_JOB_KIND,
            title=f"Import {batch.file_name}",
            params={"batch_id": batch.pk},
            created_by=user,
        )
        ImportBatch.objects.filter(pk=batch.pk).update(job=job)
        portal_services.job_run(job_id=job.pk)
    batch.refresh_from_db()
    return batch


# --- Reference data ----------------------------------------------------------------------------


@transaction.atomic
def category_rule_set(*, account_prefix: str, category_name: str, note: str = "") -> CategoryRule:
    category, _ = Category.objects.get_or_create(name=category_name.strip())
    rule, _ = CategoryRule.objects.update_or_create(
        account_prefix=account_prefix.strip(), defaults={"category": category, "note": note}
    )
    return rule


def postcode_districts_sync(*, using: str = "default") -> int:
    """Make ``spend_postcodedistrict`` (the ledger's SQL joins it) equal to the one lookup,
    ``portal.locality.districts()`` (fixtures/postcode_districts.csv). Run after every migrate
    and every flush of a test database (spend.apps), so the table is never edited by hand and
    cannot drift from what the register and the head-office view read. Returns the rows
    changed."""
    wanted = {d: (a.local_authority, a.region) for d, a in locality.districts().items()}
    if _postcode_districts_checksum(using) == _districts_checksum(wanted):
        return 0  # the usual case, after every flush of a test database: one query, no rows read
    table = PostcodeDistrict.objects.using(using)
    with transaction.atomic(using=using):
        held = {p.district: (p.local_authority, p.region) for p in table.all()}
        if held == wanted:
            return 0
        stale = [d for d in held if d not in wanted]
        table.filter(district__in=stale).delete()
        changed = [
            PostcodeDistrict(district=d, local_authority=la, region=region)
            for d, (la, region) in wanted.items()
            if held.get(d) != (la, region)
        ]
        table.bulk_create(
            changed,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["district"],
            update_fields=["local_authority", "region"],
        )
    return len(stale) + len(changed)


def _districts_checksum(districts: dict[str, tuple[str, str]]) -> str:
    """What ``_postcode_districts_checksum`` gives for a table holding exactly these rows
    (byte order, as PostgreSQL's "C" collation sorts)."""
    lines = (f"{d}|{la}|{region}" for d, (la, region) in sorted(districts.items()))
    return hashlib.md5("\n".join(lines).encode(), usedforsecurity=False).hexdigest()


def _postcode_districts_checksum(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT md5(coalesce(string_agg(district || '|' || local_authority || '|' || region,"
            " E'\\n' ORDER BY district COLLATE \"C\"), '')) FROM spend_postcodedistrict"
        )
        return str(cursor.fetchone()[0])


# --- Column mappings for files no layout knows ---------------------------------------------


class StoredFileMissing(Exception):
    """The uploaded copy of a file is no longer kept; the message says what to do."""


def file_headings(batch: ImportBatch) -> list[str]:
    """The likeliest header row of a stored file: the first row with three or more cells."""

    try:
        opened = OpenedFile(batch_file_path(batch))
    except OSError:
        raise StoredFileMissing(
            f"The uploaded copy of {batch.file_name} is no longer kept, so its columns cannot "
            "be shown. Upload the file again on the Imports page and map its columns then."
        ) from None
    try:
        source, _rows = open_rows(
            opened, lambda row: sum(1 for c in row if str(c or "").strip()) >= 3
        )
    except (NoHeader, ImportRejected):
        return []
    finally:
        opened.close()
    return [str(c).strip() for c in source.header_cells if str(c or "").strip()]


def header_signature(headings: Iterable[str]) -> str:
    text = "|".join(normalise_header(h) for h in headings)
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def mapping_profile_save(
    *, batch: ImportBatch, name: str, mapping: dict[str, str], user: User | None
) -> ImportBatch:
    """Save the mapping as a profile and import the batch's file again with it."""
    profile, _ = ColumnMappingProfile.objects.update_or_create(
        header_signature=header_signature(file_headings(batch)),
        defaults={"name": name, "mapping": mapping, "created_by": user},
    )
    retry = ImportBatch.objects.create(
        file_name=batch.file_name,
        stored_file=batch.stored_file,
        sha256=batch.sha256,
        size_bytes=batch.size_bytes,
        layout_requested="transparency",
        mapping_profile=profile,
        uploaded_by=user,
    )
    batches_start(batches=[retry], user=user)
    return retry


def mapping_profile_for(batch: ImportBatch) -> ColumnMappingProfile | None:
    """A saved profile whose headings this file has (for a file no layout reads)."""

    path = batch_file_path(batch)

    def header_found(**options: Any) -> bool:
        try:
            _header, rows = iter_payments(path, batch.file_name, **options)
        except ImportRejected:
            return False
        close = getattr(rows, "close", None)  # a generator: closing it closes the file
        if close:
            close()
        return True

    for profile in ColumnMappingProfile.objects.order_by("-created_at"):
        if header_found(mapping=profile.mapping):
            return profile
    return None


# --- Categories: re-applying the rules ---------------------------------------------------------

RECATEGORISE_JOB_KIND = "spend.recategorise"

# Each distinct account code gets the category of its longest matching prefix (or none).
RECATEGORISE_SQL = """
WITH accounts AS (
    SELECT DISTINCT account FROM spend_payment
), best AS (
    SELECT a.account,
           (SELECT r.category_id FROM spend_categoryrule r
             WHERE left(a.account, length(r.account_prefix)) = r.account_prefix
             ORDER BY length(r.account_prefix) DESC, r.account_prefix LIMIT 1) AS category_id
      FROM accounts a
)
UPDATE spend_payment p
   SET category_id = best.category_id
  FROM best
 WHERE p.account = best.account AND p.category_id IS DISTINCT FROM best.category_id
"""


@transaction.atomic
def category_rule_delete(*, rule: CategoryRule) -> None:
    rule.delete()


def recategorise_start(*, user: User | None) -> Job:
    """Queue the job that re-applies the category rules to the ledger."""
    return portal_services.job_start(
        kind=RECATEGORISE_JOB_KIND, title="Re-apply category rules", user=user
    )


# --- A changed home area ---------------------------------------------------------------------

RECLASSIFY_JOB_KIND = "spend.locality_reclassify"


def sites_reclassify(*, progress: Progress | None = None) -> dict[str, Any]:
    """Give every supplier site its class under the home area as it is now, and rebuild the
    summary of the years paid at the sites that moved (bumping its version, so no dashboard
    shows the old split). Imports wait meanwhile: a new site gets the class from the same
    SQL."""

    def report(percent: int, message: str) -> None:
        if progress is not None:
            progress(percent, message)

    report(5, "Waiting for any spend import to finish.")
    with transaction.atomic():
        _lock_imports()
        report(10, "Re-classifying supplier sites by the new home area.")
        with connection.cursor() as cursor:
            cursor.execute(RECLASSIFY_SITES.format(locality=LOCALITY_CASE) + " RETURNING ss.id")
            moved = [row[0] for row in cursor.fetchall()]
            years: list[int] = []
            if moved:
                cursor.execute(
                    "SELECT DISTINCT financial_year FROM spend_payment WHERE site_id = ANY(%s)",
                    [moved],
                )
                years = sorted(row[0] for row in cursor.fetchall())
        report(50, f"{len(moved):,} sites changed class; rebuilding the spend summary.")
        rebuild_summaries(years)
    report(100, f"{len(moved):,} sites changed class; {len(years)} financial years rebuilt.")
    return {"sites_changed": len(moved), "financial_years": years}


def home_area_changed(*, user: User | None = None, **_: Any) -> Job:
    """portal.services.home_area_changed: re-classify in a job once the change commits."""
    return portal_services.job_start(
        kind=RECLASSIFY_JOB_KIND,
        title="Re-classify supplier sites for the new home area",
        user=user,
    )


# --- A spreadsheet of more payments than a request can build ----------------------------------

PAYMENTS_XLSX_JOB_KIND = "spend.payments_xlsx"
PAYMENTS_XLSX_PROGRESS_ROWS = 10_000  # progress is reported every this many rows


def payments_spreadsheet_start(*, query: str, rows: int, user: User | None) -> Job:
    """Queue the payments page's spreadsheet for its filters (``query``: the page's query
    string without ``_export``); it appears in the reports centre when built."""
    return portal_services.job_start(
        kind=PAYMENTS_XLSX_JOB_KIND,
        title=f"Payments spreadsheet ({rows:,} payments)",
        params={"query": query, "rows": rows},
        user=user,
    )
