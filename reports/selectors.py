"""Reads for the report centre: report runs and the years a committee report can cover."""

from django.db.models import QuerySet
from django.utils import timezone

from portal.formatting import financial_year_of
from portal.models import Job
from reports.committee import REPORT_JOB_KINDS
from spend.selectors import financial_years


def report_runs() -> QuerySet[Job]:
    """Runs of the reports in the report centre, newest first (everyone who may read sees all)."""
    return Job.objects.filter(kind__in=REPORT_JOB_KINDS).select_related("created_by")


def report_years() -> list[int]:
    """Financial years a committee report can be built for: those with payments, newest first,
    and the current year."""
    years = set(financial_years()) | {financial_year_of(timezone.localdate())}
    return sorted(years, reverse=True)
