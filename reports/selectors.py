"""Reads for the report centre: report runs, the years a committee report can cover, and
the committee report's editions."""

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from portal.csp import markup_kept_for_later
from portal.formatting import financial_year_of
from portal.models import Job
from reports import committee
from reports.committee import EDITION_JOB_KIND, REPORT_JOB_KINDS
from reports.models import Edition
from spend.selectors import financial_years, one_summary_version, summary_version


def report_runs() -> QuerySet[Job]:
    """Runs of the reports in the report centre, newest first (everyone who may read sees all)."""
    return Job.objects.filter(kind__in=REPORT_JOB_KINDS).select_related("created_by")


def report_years() -> list[int]:
    """Financial years a committee report can be built for: those with payments, newest first,
    and the current year."""
    years = set(financial_years()) | {financial_year_of(timezone.localdate())}
    return sorted(years, reverse=True)


def editions() -> QuerySet[Edition]:
    """Every edition, drafts included (officers')."""
    return Edition.objects.select_related("created_by", "finalised_by")


def final_editions() -> QuerySet[Edition]:
    """The library councillors read: final editions, newest year and meeting first."""
    return editions().filter(status=Edition.Status.FINAL)


def latest_final_edition() -> Edition | None:
    """The committee report councillors read first: the final edition for the latest
    meeting (the last finalised if two share a meeting)."""
    return final_editions().order_by("-meeting_date", "-finalised_at", "-pk").first()


def final_editions_by_year() -> list[tuple[int, list[Edition]]]:
    by_year: dict[int, list[Edition]] = {}
    for edition in final_editions():
        by_year.setdefault(edition.fy, []).append(edition)
    return sorted(by_year.items(), reverse=True)


def last_edition(fy: int | None = None) -> Edition | None:
    """The edition a new one starts from: the newest final one, else the newest draft."""
    rows = editions().order_by("-status", "-meeting_date", "-pk")  # final before draft
    if fy is not None:
        rows = rows.filter(fy=fy)
    return rows.first()


def edition_finalising(edition: Edition) -> Job | None:
    """The newest finalising job of an edition (its progress shows on the edition page)."""
    return (
        Job.objects.filter(kind=EDITION_JOB_KIND, params__edition=edition.pk)
        .order_by("-created_at", "-pk")
        .first()
    )


# A draft's live figures take seconds at millions of payments, so a visit reuses them for a
# while: for the same year, as-at date, rounding and ledger (summary version, which every
# import bumps). Other data (register, social value, self-assessments) is at most this old,
# and the page says when its figures were worked out and offers to work them out again.
DRAFT_FIGURES_SECONDS = 10 * 60


def draft_figures(edition: Edition, refresh: bool = False) -> dict[str, Any]:
    """A draft's live figures, by section (no officers' text), with when they were worked
    out: ``{"computed_at", "as_at", "sections"}``."""
    as_at = committee.report_as_at(edition.fy, edition.as_at)
    key = (
        f"reports:draft-figures:{edition.fy}:{as_at.isoformat()}:"
        f"{int(edition.approximate_top)}:{summary_version()}"
    )
    found = None if refresh else cache.get(key)
    if found is None:
        with one_summary_version(), markup_kept_for_later():
            context = committee.committee_report_context(edition.fy, edition=edition)
            found = {
                "computed_at": context["generated_at"],
                "as_at": context["as_at"],
                "sections": [{**s, "narrative": ""} for s in committee.section_dicts(context)],
            }
        cache.set(key, found, DRAFT_FIGURES_SECONDS)
    return found
