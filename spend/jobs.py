"""Spend's job handlers (portal.apps autodiscovers ``jobs`` modules): each calls a service."""

from typing import Any

from django.db import connection, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from portal.exports import neutralise
from portal.files import kept_file, reports_folder
from portal.jobs import JobFailed, Progress, job_handler
from portal.models import Job
from spend import selectors, services
from spend.filters import PaymentFilter
from spend.ingest.load import IMPORT_LOCK_ID, rebuild_summaries
from spend.models import Payment


@job_handler(services.IMPORT_JOB_KIND)
def import_job(job: Job, progress: Progress) -> dict[str, Any]:
    """Import one uploaded file into the ledger (the ``spend.import`` job)."""
    return services.import_batch(job, progress)


@job_handler(services.WARM_JOB_KIND)
def dashboards_warm(job: Job, progress: Progress) -> dict[str, Any]:
    """After an import: work out the dashboards' figures before anyone asks for them."""
    return {"financial_years": services.dashboards_warm()}


@job_handler(services.RECATEGORISE_JOB_KIND)
def recategorise(job: Job, progress: Progress) -> dict[str, Any]:
    """Re-apply the account-code rules to every payment and rebuild every year's summary.

    One transaction, under the import lock, so an import never sees half the change."""

    progress(5, "Waiting for any import to finish")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_ID])
        progress(10, "Matching account codes to the rules")
        cursor.execute(services.RECATEGORISE_SQL)
        changed = max(cursor.rowcount, 0)
        years = sorted(Payment.objects.values_list("financial_year", flat=True).distinct())
        for done, fy in enumerate(years, start=1):
            progress(
                10 + int(85 * (done - 1) / max(len(years), 1)),
                f"Rebuilding the summary for {fy}/{(fy + 1) % 100:02d}",
            )
            rebuild_summaries([fy])
    progress(100, f"{changed:,} payments changed category")

    return {
        "payments_changed": changed,
        "years": years,
        "url": reverse("spend:categories"),
        "link_text": "Back to the category rules",
    }


@job_handler(services.RECLASSIFY_JOB_KIND)
def locality_reclassify(job: Job, progress: Progress) -> dict[str, Any]:
    result = services.sites_reclassify(progress=progress)
    return {
        **result,
        "url": reverse("spend:locality"),
        "link_text": "See spend by locality",
    }


@job_handler(services.PAYMENTS_XLSX_JOB_KIND)
def payments_spreadsheet_job(job: Job, progress: Progress) -> dict[str, Any]:
    """The payments page's rows under its filters as XLSX, written row by row (openpyxl's
    write-only mode keeps the worker's memory flat), kept with the job for download."""
    from openpyxl import Workbook  # noqa: PLC0415  (loaded only by the job that writes one)

    payment_filter = PaymentFilter(QueryDict(job.params.get("query", "")))
    if payment_filter.refused:
        raise JobFailed("The payments page's filters could not be read. Choose them again.")
    rows = payment_filter.qs.order_by("-payment_date", "pk")
    expected = int(job.params.get("rows") or 0) or 1
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Payments")
    sheet.append(list(selectors.PAYMENTS_EXPORT_HEADER))
    written = 0
    for row in selectors.payments_export_rows(rows):
        sheet.append([neutralise(cell) for cell in row])
        written += 1
        if written % services.PAYMENTS_XLSX_PROGRESS_ROWS == 0:
            progress(min(95, written * 95 // expected), f"{written:,} payments written")
    progress(96, "Saving the spreadsheet")
    name = f"payments-{timezone.localdate():%Y-%m-%d}.xlsx"
    path = reports_folder(job.pk) / name
    book.save(path)
    return {
        "files": [kept_file(path, f"Payments spreadsheet, {written:,} payments (XLSX)")],
        "rows": written,
        "url": f"/reports/{job.pk}/files/0/",
        "link_text": "Download the spreadsheet",
    }
