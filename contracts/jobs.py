"""The register's job handlers (portal.apps autodiscovers ``jobs`` modules): each calls a
service in ``contracts.services``."""

from typing import Any

from django.utils import timezone

from contracts import services
from contracts.layout import LayoutError
from contracts.models import RegisterUpload
from portal.jobs import JobFailed, Progress, job_handler
from portal.models import Job
from portal.periods import Quarter


@job_handler("contracts.import")
def register_import_job(job: Job, progress: Progress) -> dict[str, Any]:
    upload = RegisterUpload.objects.filter(pk=job.params.get("upload")).first()
    if upload is None:
        raise JobFailed("The uploaded file is no longer kept; upload it again.")
    progress(5, f"Reading {upload.file_name}.")
    url = upload.get_absolute_url()  # before the import commits: nothing may fail after it
    try:
        result = services.register_upload_import(upload=upload)
    except LayoutError as problem:
        raise JobFailed(
            f"{upload.file_name} was not imported, and nothing in it was saved: {problem} "
            "The file is kept: map its columns or correct it, then run this import again, "
            "or discard it on the import page."
        ) from None
    summary = result.as_dict()
    summary.update(url=url, link_text="See what was imported")
    return summary


@job_handler("contracts.publish")
def publication_job(job: Job, progress: Progress) -> dict[str, Any]:
    code = job.params.get("quarter")
    try:
        quarter = Quarter.parse(code) if code else Quarter.previous(timezone.localdate())
    except ValueError as problem:
        raise JobFailed(str(problem)) from None
    publication = services.publication_build(
        quarter=quarter, user=job.created_by, progress=progress
    )
    return {
        "publication": publication.pk,
        "quarter": publication.quarter,
        "version": publication.version,
        "contracts": publication.contract_count,
        "suppliers": publication.supplier_count,
        "url": "/register/",
        "link_text": f"See the published register for {publication.label}",
    }


@job_handler("contracts.propose_terminations")
def termination_notices_job(job: Job, progress: Progress) -> dict[str, Any]:
    proposed = services.termination_notices_propose(today=timezone.localdate())
    return {"proposed": len(proposed)}
