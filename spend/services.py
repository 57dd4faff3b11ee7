"""Writes to the spend ledger: receiving uploads, importing them, and reference data.

An import is a job (kind ``spend.import``): the upload page and ``manage.py import_spend``
both create an ``ImportBatch`` per file and run ``import_batch`` for it, in a worker or
in-process. ``spend.ingest.load.load_file`` does the loading in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal import services as portal_services
from portal.jobs import JobFailed, Progress, job_handler
from portal.models import Job, User
from spend import selectors
from spend.ingest.errors import ImportRejected
from spend.ingest.load import LoadResult, load_file
from spend.ingest.readers import sniff_kind
from spend.models import (
    Category,
    CategoryRule,
    ColumnMappingProfile,
    HomeAreaAuthority,
    ImportBatch,
    PostcodeDistrict,
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
) -> ImportBatch:
    """Record an uploaded file as a batch waiting to import, or as refused (size, type).

    Uploads are copied under MEDIA_ROOT/imports/. ``keep_path`` (the command line) imports a
    file where it lies instead of copying it.
    """
    batch = ImportBatch(
        file_name=Path(file_name).name[:255], layout_requested=layout, uploaded_by=user
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


@job_handler(IMPORT_JOB_KIND)
def import_batch(job: Job, progress: Progress) -> dict[str, Any]:
    """Import one uploaded file into the ledger (the ``spend.import`` job)."""
    batch = ImportBatch.objects.get(pk=job.params["batch_id"])
    if batch.status in (ImportBatch.Status.LOADED, ImportBatch.Status.DUPLICATE):
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
    if earlier is not None:
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

    def load(profile: ColumnMappingProfile | None) -> LoadResult:
        return load_file(
            batch_file_path(batch),
            file_name=batch.file_name,
            batch_id=batch.pk,
            layout_hint=batch.layout_requested,
            size_bytes=batch.size_bytes,
            mapping=profile.mapping if profile else None,
            progress=progress,
        )[1]

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


@job_handler(WARM_JOB_KIND)
def dashboards_warm(job: Job, progress: Progress) -> dict[str, Any]:
    """After an import: work out the dashboards' figures before anyone asks for them."""
    years = selectors.dashboards_warm()
    return {"financial_years": years}


def import_paths(
    *, paths: Iterable[Path], user: User | None = None, layout: str = "auto"
) -> list[ImportBatch]:
    """Import files from disk in this process (``manage.py import_spend``), one job each."""
    finished = []
    for path in paths:
        with path.open("rb") as source:
            batch = batch_receive(
                source=source, file_name=path.name, user=user, layout=layout, keep_path=path
            )
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
        finished.append(batch)
    return finished


# --- Reference data ----------------------------------------------------------------------------


@transaction.atomic
def postcode_districts_load(*, path: Path) -> int:
    """Replace the postcode district lookup from a CSV (district, local_authority, region)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            PostcodeDistrict(
                district=r["district"].strip().upper(),
                local_authority=r["local_authority"].strip(),
                region=r["region"].strip(),
            )
            for r in csv.DictReader(handle)
            if r.get("district")
        ]
    PostcodeDistrict.objects.all().delete()
    PostcodeDistrict.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def home_area_set(*, local_authorities: Iterable[str]) -> None:
    HomeAreaAuthority.objects.all().delete()
    HomeAreaAuthority.objects.bulk_create(
        [HomeAreaAuthority(local_authority=name) for name in sorted(set(local_authorities))]
    )


@transaction.atomic
def category_rule_set(*, account_prefix: str, category_name: str, note: str = "") -> CategoryRule:
    category, _ = Category.objects.get_or_create(name=category_name.strip())
    rule, _ = CategoryRule.objects.update_or_create(
        account_prefix=account_prefix.strip(), defaults={"category": category, "note": note}
    )
    return rule


# --- Column mappings for files no layout knows ---------------------------------------------


class StoredFileMissing(Exception):
    """The uploaded copy of a file is no longer kept; the message says what to do."""


def file_headings(batch: ImportBatch) -> list[str]:
    """The likeliest header row of a stored file: the first row with three or more cells."""
    from spend.ingest.readers import NoHeader, OpenedFile, open_rows

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
    from spend.ingest.layouts import normalise_header

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
    from spend.ingest.parse import iter_payments

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


@job_handler(RECATEGORISE_JOB_KIND)
def recategorise(job: Job, progress: Progress) -> dict[str, Any]:
    """Re-apply the account-code rules to every payment and rebuild every year's summary.

    One transaction, under the import lock, so an import never sees half the change."""
    from django.db import connection

    from spend.ingest.load import IMPORT_LOCK_ID, rebuild_summaries
    from spend.models import Payment

    progress(5, "Waiting for any import to finish")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
        progress(10, "Matching account codes to the rules")
        cursor.execute(RECATEGORISE_SQL)
        changed = max(cursor.rowcount, 0)
        years = sorted(Payment.objects.values_list("financial_year", flat=True).distinct())
        for done, fy in enumerate(years, start=1):
            progress(
                10 + int(85 * (done - 1) / max(len(years), 1)),
                f"Rebuilding the summary for {fy}/{(fy + 1) % 100:02d}",
            )
            rebuild_summaries([fy])
    progress(100, f"{changed:,} payments changed category")
    from django.urls import reverse

    return {
        "payments_changed": changed,
        "years": years,
        "url": reverse("spend:categories"),
        "link_text": "Back to the category rules",
    }


from spend import quality  # noqa: E402,F401  (registers its job kinds)
