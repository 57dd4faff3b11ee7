"""Spend's job handlers (portal.apps autodiscovers ``jobs`` modules): each calls a service.
The import itself (``spend.import``) stays beside its service in ``services.py``."""

from typing import Any

from django.db import connection, transaction
from django.urls import reverse

from portal.jobs import Progress, job_handler
from portal.models import Job
from spend import register_links, selectors, services
from spend.ingest.load import IMPORT_LOCK_ID, rebuild_summaries
from spend.models import Payment


@job_handler(services.WARM_JOB_KIND)
def dashboards_warm(job: Job, progress: Progress) -> dict[str, Any]:
    """After an import: work out the dashboards' figures before anyone asks for them."""
    years = selectors.dashboards_warm()
    register = register_links.links()
    if register is not None:
        for fy in years:
            register.warm(fy)  # the off-contract page as it opens (seconds, cold)
    return {"financial_years": years}


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
