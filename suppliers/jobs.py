"""Supplier data quality's job handlers (portal.apps autodiscovers ``jobs`` modules): each
calls a service. The stored kinds keep their ``spend.`` names from before the app was split
from spend, so Job rows already saved still run and show."""

import shutil
from pathlib import Path
from typing import Any

from django.urls import reverse
from django.utils import timezone

from portal.jobs import JobFailed, Progress, job_handler
from portal.models import Job
from spend.models import CompaniesHouseImport
from suppliers import quality


@job_handler(quality.DUPLICATES_JOB_KIND)
def duplicates_job(job: Job, progress: Progress) -> dict[str, Any]:
    """Find duplicate candidates (the ``spend.duplicates`` job)."""
    progress(10, "Comparing supplier names, numbers and postcodes")
    count = quality.duplicates_refresh()
    return {
        "candidates": count,
        "url": reverse("suppliers:duplicates"),
        "link_text": f"See the {count:,} possible duplicates",
    }


@job_handler(quality.COMPANIES_HOUSE_JOB_KIND)
def companies_house_job(job: Job, progress: Progress) -> dict[str, Any]:
    """Enrich suppliers from a Companies House file (the ``spend.companies_house`` job)."""
    ch_import = CompaniesHouseImport.objects.get(pk=job.params["import_id"])
    try:
        done = quality.companies_house_load(
            path=quality.companies_house_path(ch_import), ch_import=ch_import, progress=progress
        )
    except JobFailed as failure:
        CompaniesHouseImport.objects.filter(pk=ch_import.pk).update(
            error=str(failure), finished_at=timezone.now()
        )
        raise
    except FileNotFoundError:
        message = "The uploaded copy of the file is missing. Upload it again."
        CompaniesHouseImport.objects.filter(pk=ch_import.pk).update(
            error=message, finished_at=timezone.now()
        )
        raise JobFailed(message) from None
    if ch_import.stored_file and not Path(ch_import.stored_file).is_absolute():
        shutil.rmtree(quality.companies_house_path(ch_import).parent, ignore_errors=True)
    return {
        "import_id": done.pk,
        "rows_read": done.rows_read,
        "matched": done.matched_by_number + done.matched_by_name,
        "url": reverse("suppliers:companies-house"),
        "link_text": "See the suppliers matched",
    }
