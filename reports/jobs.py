"""The reports' job handlers (portal.apps autodiscovers ``jobs`` modules): the committee
report for a year, and an edition made final."""

from typing import Any

from portal.files import kept_file, reports_folder
from portal.formatting import financial_year_label
from portal.jobs import JobFailed, Progress, job_handler
from portal.models import Job
from reports import committee, services
from reports.models import Edition


@job_handler(committee.COMMITTEE_JOB_KIND)
def committee_report_job(job: Job, progress: Progress) -> dict[str, Any]:
    """Build the committee report for ``job.params['fy']`` and keep the PDF with the job."""
    try:
        fy = int(job.params["fy"])
    except (KeyError, TypeError, ValueError):
        raise JobFailed("Say which financial year the report is for.") from None
    progress(10, f"Gathering the figures for {financial_year_label(fy)}")
    pdf = committee.render_committee_report(fy)
    progress(90, "Saving the PDF")
    name = committee.committee_report_file_name(fy)
    path = reports_folder(job.pk) / name
    path.write_bytes(pdf)
    return {
        "files": [kept_file(path, f"Committee scrutiny report {financial_year_label(fy)} (PDF)")],
        "fy": fy,
        "url": f"/reports/{job.pk}/files/0/",
        "link_text": "Download the report",
    }


@job_handler(committee.EDITION_JOB_KIND)
def edition_finalise_job(job: Job, progress: Progress) -> dict[str, Any]:
    try:
        edition_id = int(job.params["edition"])
    except (KeyError, TypeError, ValueError):
        raise JobFailed("Say which edition to finalise.") from None
    try:
        edition = services.edition_finalise(
            edition_id=edition_id, user=job.created_by, progress=progress
        )
    except Edition.DoesNotExist:
        raise JobFailed("That edition no longer exists.") from None
    except services.EditionError as problem:
        raise JobFailed(str(problem)) from None
    return {
        "edition": edition.pk,
        "fy": edition.fy,
        "url": edition.get_absolute_url(),
        "link_text": "See the final edition",
    }
