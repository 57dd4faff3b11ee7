"""The reports councillors and officers take away: the committee scrutiny report (here) and
the quarterly contract register (``contracts.services.publication_build``).

Every figure comes from the same selectors as the pages (spend, contracts, social value,
self-assessment); this module only gathers them, fills the narrative sentences and renders
an accessible PDF (WeasyPrint's PDF/UA-1 variant: tagged, titled, language set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from portal import charts
from portal.formatting import financial_year_label, month_label, pounds
from portal.jobs import JobFailed, Progress, job_handler
from portal.models import Job
from portal.pdf import html_to_pdf
from spend.ingest.normalise import pence_from_decimal

COMMITTEE_JOB_KIND = "portal.committee_report"
# Jobs whose files anyone who may read downloads from the reports centre: a payments
# spreadsheet too big to build in a request is one (spend.services).
REPORT_JOB_KINDS = (COMMITTEE_JOB_KIND, "contracts.publish", "spend.payments_xlsx")
TOP_SUPPLIERS = 20
TOP_SHARE_SUPPLIERS = 40
LOCALITY_YEARS = 5


@dataclass
class Section:
    """One numbered section of the report, with whether its part of the portal has data."""

    anchor: str
    title: str
    has_data: bool = True
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def _spend_section(fy: int) -> Section:
    from spend import selectors as spend

    total = spend.spend_total(fy)
    section = Section("key-spend", "Key spend information")
    if not total and not spend.payment_count(fy):
        section.has_data = False
        section.note = (
            f"The ledger holds no payments for {financial_year_label(fy)}. "
            "Import the year's invoice extracts to complete this section."
        )
        return section
    tail = spend.tail_spend(fy)
    top40 = spend.top_suppliers_share(fy, TOP_SHARE_SUPPLIERS)
    months = spend.spend_by_month(fy)
    section.data = {
        "total": total,
        "suppliers": spend.suppliers_paid(fy),
        "payments": spend.payment_count(fy),
        "top": spend.top_suppliers(fy, TOP_SUPPLIERS),
        "tail": tail,
        "top40": top40,
        "months": months,
        "categories": spend.spend_by_category(fy),
        "chart": charts.money_bar_chart(
            chart_id=f"report-spend-by-month-{fy}",
            title="Spend by month",
            labels=[month_label(m.month) for m in months],
            values_pence=[m.total_pence for m in months],
            summary=f"Spend by month in {financial_year_label(fy)}; the table follows.",
        ),
    }
    return section


def _limitations_section(fy: int) -> Section:
    from spend import selectors as spend

    years = list(range(fy - LOCALITY_YEARS + 1, fy + 1))
    completeness = [spend.year_completeness(year) for year in years]
    return Section(
        "limitations", "Limitations and data completeness", data={"completeness": completeness}
    )


def _locality_section(fy: int) -> Section:
    from spend import selectors as spend

    years = list(range(fy - LOCALITY_YEARS + 1, fy + 1))
    rows = spend.locality_by_year(years)
    section = Section("locality", "Locality spend information", data={"rows": rows})
    if not rows:
        section.has_data = False
        section.note = "The ledger holds no payments for these five years."
        return section
    section.data["chart"] = charts.percent_line_chart(
        chart_id=f"report-locality-{fy}",
        title="Share of spend with home-area suppliers",
        labels=[financial_year_label(r.fy) for r in rows],
        series=[("Home area share", [r.home_share for r in rows])],
        summary="Whole per cent of each year's spend; the table above has the figures.",
    )
    section.data["incomplete"] = [r for r in rows if r.incomplete]
    section.data["undetermined"] = [r for r in rows if r.undetermined]
    return section


def _awards_section(fy: int) -> Section:
    from contracts import selectors as contracts

    monitoring = contracts.award_monitoring(fy)
    section = Section(
        "awards",
        "Locality performance on contract awards",
        data={
            "monitoring": monitoring,
            "year_value_pence": pence_from_decimal(monitoring.year.value_awarded),
            "months": [(f, pence_from_decimal(f.value_awarded)) for f in monitoring.months],
        },
    )
    if not monitoring.year.contracts:
        section.has_data = False
        section.note = (
            f"No contract awards are recorded in the register for {financial_year_label(fy)}."
        )
    return section


def _social_value_section(fy: int) -> Section:
    from socialvalue import selectors as social_value

    totals = social_value.social_value_totals(fy)
    section = Section("social-value", "Social value", data={"totals": totals})
    if not totals.commitments:
        section.has_data = False
        section.note = f"No social value commitments are recorded for {financial_year_label(fy)}."
        return section
    section.data["themes"] = social_value.social_value_by_theme(fy)
    return section


def _self_assessment_section() -> Section:
    from diagnostics import selectors as diagnostics

    results = diagnostics.latest_host_results()
    section = Section(
        "self-assessment", "Procurement maturity self-assessment", data={"results": results}
    )
    if not results:
        section.has_data = False
        section.note = "No self-assessment has been submitted by the council yet."
    return section


def _forward_plan_section(today: dt.date) -> Section:
    from contracts import selectors as contracts

    quarters = contracts.forward_plan(today)
    section = Section(
        "forward-plan",
        "Contracts ending in the next 24 months",
        data={"quarters": [(q, pence_from_decimal(q.value)) for q in quarters]},
    )
    if not any(q.contracts for q in quarters):
        section.has_data = False
        section.note = "No registered contract ends in the next 24 months."
    return section


def _off_contract_section(fy: int) -> Section:
    from contracts import selectors as contracts

    found = contracts.spend_without_contract(fy=fy)
    section = Section(
        "off-contract",
        f"Spend with no contract: suppliers paid {pounds(found.threshold_pence)} or more",
        data={"found": found},
    )
    if not found.suppliers:
        section.has_data = False
        section.note = (
            f"No supplier was paid {pounds(found.threshold_pence)} or more in "
            f"{financial_year_label(fy)} with no contract behind the payments."
        )
    return section


def _notices_section(fy: int, today: dt.date) -> Section:
    from contracts import selectors as contracts

    compliance = contracts.notice_compliance(fy, today)
    section = Section(
        "act-notices", "Procurement Act 2023 notices", data={"compliance": compliance}
    )
    if not compliance.published and not compliance.due:
        section.has_data = False
        section.note = (
            f"No Procurement Act notice was published in {financial_year_label(fy)} and none "
            "is due: the register records no contract procured under the Act that needs one."
        )
    return section


def committee_report_context(fy: int, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the committee report shows for financial year ``fy``."""
    from spend.selectors import TAIL_THRESHOLD_PENCE

    today = today or timezone.localdate()
    sections = [
        _spend_section(fy),
        _limitations_section(fy),
        _locality_section(fy),
        _awards_section(fy),
        _social_value_section(fy),
        _self_assessment_section(),
        _forward_plan_section(today),
        _off_contract_section(fy),
        _notices_section(fy, today),
    ]
    return {
        "fy": fy,
        "fy_label": financial_year_label(fy),
        "today": today,
        "council": {"name": settings.COUNCIL_NAME, "short_name": settings.COUNCIL_SHORT_NAME},
        "sections": sections,
        "by_anchor": {s.anchor: s for s in sections},
        "generated_at": timezone.localtime(),
        "tail_threshold": pounds(TAIL_THRESHOLD_PENCE),
    }


def render_committee_report(fy: int, today: dt.date | None = None) -> bytes:
    """The committee scrutiny report for ``fy`` as a tagged PDF."""
    html = render_to_string("reports/committee.html", committee_report_context(fy, today))
    return html_to_pdf(html, str(settings.BASE_DIR))


def committee_report_file_name(fy: int) -> str:
    return f"committee-scrutiny-report-{financial_year_label(fy).replace('/', '-')}.pdf"


def reports_folder(job_id: int) -> Path:
    folder = Path(settings.MEDIA_ROOT) / "reports" / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def kept_file(path: Path, label: str) -> dict[str, Any]:
    """A file a report job keeps (in its reports_folder), as its result lists it for the
    reports centre's download link."""
    return {
        "name": path.name,
        "path": str(path.relative_to(settings.MEDIA_ROOT)),
        "size": path.stat().st_size,
        "label": label,
    }


@job_handler(COMMITTEE_JOB_KIND)
def committee_report_job(job: Job, progress: Progress) -> dict[str, Any]:
    """Build the committee report for ``job.params['fy']`` and keep the PDF with the job."""
    try:
        fy = int(job.params["fy"])
    except (KeyError, TypeError, ValueError):
        raise JobFailed("Say which financial year the report is for.") from None
    progress(10, f"Gathering the figures for {financial_year_label(fy)}")
    pdf = render_committee_report(fy)
    progress(90, "Saving the PDF")
    name = committee_report_file_name(fy)
    path = reports_folder(job.pk) / name
    path.write_bytes(pdf)
    return {
        "files": [kept_file(path, f"Committee scrutiny report {financial_year_label(fy)} (PDF)")],
        "fy": fy,
        "url": f"/reports/{job.pk}/files/0/",
        "link_text": "Download the report",
    }
