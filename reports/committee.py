"""The reports councillors and officers take away: the committee scrutiny report (here) and
the quarterly contract register (``contracts.services.publication_build``).

Every figure comes from the same selectors as the pages (spend, contracts, social value,
self-assessment); this module only gathers them, fills the narrative sentences and renders
an accessible PDF (WeasyPrint's PDF/UA-1 variant: tagged, titled, language set).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from contracts import selectors as contracts
from diagnostics import selectors as diagnostics
from payments import selectors as payments
from portal import charts
from portal.formatting import financial_year_label, month_label, pounds
from portal.locality import place_names
from portal.money import pence_from_decimal
from portal.pdf import html_to_pdf
from reports import narrative, word
from reports.models import Edition
from socialvalue import selectors as social_value
from spend import selectors as spend
from spend.selectors import TAIL_THRESHOLD_PENCE
from suppliers import selectors as supplier_quality

# The kind is stored in every report job's row, so it keeps the name it had when the report
# lived in ``portal``.
COMMITTEE_JOB_KIND = "portal.committee_report"
# Jobs whose files anyone who may read downloads from the reports centre: a payments
# spreadsheet too big to build in a request is one (spend.services).
REPORT_JOB_KINDS = (
    COMMITTEE_JOB_KIND,
    "contracts.publish",
    "reports.edition_finalise",
    "spend.payments_xlsx",
)
TOP_SUPPLIERS = 20
TOP_SHARE_SUPPLIERS = 40
LOCALITY_YEARS = 5
TOP_SOCIAL_VALUE = 5  # contracts with the most social value committed


@dataclass
class Section:
    """One numbered section of the report, with whether its part of the portal has data."""

    anchor: str
    title: str
    has_data: bool = True
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    # A current section reports the portal as it is today, not as at the report's date.
    current: bool = False
    # A look-ahead section lists periods after the as-at date (the forward plan's quarters).
    looks_ahead: bool = False
    narrative: str = ""
    # The day a current section's data is as it was (the day the report was built).
    current_at: dt.date | None = None

    @property
    def narrative_html(self) -> SafeString:
        return narrative.render(self.narrative)


APPROXIMATE_TO_PENCE = 100_000_00  # the reference report's top 20: to the nearest £100,000


def approximate(pence: int) -> int:
    """Spend to the nearest £100,000 (half up), as the reference report's top 20 shows it."""
    return (pence + APPROXIMATE_TO_PENCE // 2) // APPROXIMATE_TO_PENCE * APPROXIMATE_TO_PENCE


def _spend_section(fy: int, approximate_top: bool = False) -> Section:
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
    top = spend.top_suppliers(fy, TOP_SUPPLIERS)
    top40 = spend.top_suppliers_share(fy, TOP_SHARE_SUPPLIERS)
    months = spend.spend_by_month(fy)
    section.data = {
        "total": total,
        "suppliers": spend.suppliers_paid(fy),
        "payments": spend.payment_count(fy),
        "top": top,
        "top_rows": [
            (s, approximate(s.total_pence) if approximate_top else s.total_pence) for s in top
        ],
        "approximate": approximate_top,
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
    years = list(range(fy - LOCALITY_YEARS + 1, fy + 1))
    completeness = [spend.year_completeness(year) for year in years]
    return Section(
        "limitations", "Limitations and data completeness", data={"completeness": completeness}
    )


def _locality_section(fy: int) -> Section:
    years = list(range(fy - LOCALITY_YEARS + 1, fy + 1))
    rows = spend.locality_by_year(years)
    section = Section("locality", "Locality spend information", data={"rows": rows})
    if not rows:
        section.has_data = False
        section.note = "The ledger holds no payments for these five years."
        return section
    section.data["chart"] = charts.percent_line_chart(
        chart_id=f"report-locality-{fy}",
        title=f"Share of spend with suppliers with {place_names()['home_address']}",
        labels=[financial_year_label(r.fy) for r in rows],
        series=[(f"{settings.COUNCIL_SHORT_NAME} share", [r.home_share for r in rows])],
        summary="Whole per cent of each year's spend; the table above has the figures.",
    )
    held = {r.fy: r for r in rows}
    # All five years stay in the table; a year with no payments is "-" with a footnote.
    section.data["five_years"] = [(year, held.get(year)) for year in years]
    section.data["missing_years"] = [year for year in years if year not in held]
    section.data["incomplete"] = [r for r in rows if r.incomplete]
    section.data["undetermined"] = [r for r in rows if r.undetermined]
    return section


COMPANIES_HOUSE_HOW = (
    "An administrator adds it by uploading the Companies House basic company data file "
    "(Spend, Data quality, Companies House), which matches suppliers by company number or name."
)


def _needs_companies_house(
    section: Section, fy: int, total: int, matched: int, cannot: str
) -> Section:
    """Say plainly when a Companies House section has nothing behind it, and how to add it."""
    if not total:
        section.has_data = False
        section.note = f"The ledger holds no payments for {financial_year_label(fy)}."
    elif not matched:
        section.has_data = False
        section.note = f"No supplier is matched to Companies House yet, so {cannot} " + (
            COMPANIES_HOUSE_HOW
        )
    return section


def _companies_house_is_current(section: Section, today: dt.date) -> Section:
    """Companies House data keeps no history (each load replaces the last), so a section
    built on it is current: it says the day it shows, not the as-at date."""
    section.current = True
    section.current_at = today
    return section


def _size_section(fy: int, today: dt.date) -> Section:
    """The reference's first limitation (spend by supplier size), answered from Companies
    House matches."""
    bands, sme, total = supplier_quality.spend_by_size(fy)
    matched = supplier_quality.companies_house_coverage()["matched"]
    section = Section(
        "size",
        "Spend by supplier size",
        data={"bands": bands, "sme": sme, "total": total, "matched": matched},
    )
    _companies_house_is_current(section, today)
    return _needs_companies_house(
        section, fy, total, matched, "spend by size band and SME status cannot be given."
    )


def _head_office_section(fy: int, today: dt.date) -> Section:
    """The reference's second limitation (head office, not paid site), answered from each
    supplier's registered office at Companies House."""
    rows, total = supplier_quality.locality_by_head_office(fy)
    matched = supplier_quality.companies_house_coverage()["matched"]
    section = Section(
        "head-office",
        "Locality by head office beside paid site",
        data={"rows": rows, "total": total},
    )
    _companies_house_is_current(section, today)
    return _needs_companies_house(
        section,
        fy,
        total,
        matched,
        "locality by head office cannot be given; locality is by the paid site's postcode only.",
    )


def _awards_section(fy: int) -> Section:
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


def _social_value_section(fy: int, as_at: dt.date) -> Section:
    totals = social_value.social_value_totals(fy)
    section = Section("social-value", "Social value", data={"totals": totals})
    if not totals.commitments:
        section.has_data = False
        section.note = f"No social value commitments are recorded for {financial_year_label(fy)}."
        return section
    section.data["themes"] = social_value.social_value_by_theme(fy)
    section.data["approaches"] = social_value.social_value_by_approach(fy)
    section.data["top_contracts"] = social_value.social_value_by_contract(fy)[:TOP_SOCIAL_VALUE]
    # Returns overdue on the as-at date, by what had been sent by then: one sent later was
    # still overdue on it.
    section.data["overdue"] = social_value.overdue_returns(as_at, sent_by=as_at)
    return section


def _self_assessment_section(as_at: dt.date) -> Section:
    results = diagnostics.latest_host_results(as_at=as_at)
    section = Section(
        "self-assessment", "Procurement maturity self-assessment", data={"results": results}
    )
    if not results:
        section.has_data = False
        section.note = (
            f"No self-assessment had been submitted by the council by {date_text(as_at)}."
        )
    return section


def _forward_plan_section(as_at: dt.date) -> Section:
    quarters = contracts.forward_plan(as_at)
    section = Section(
        "forward-plan",
        "Contracts ending in the next 24 months",
        data={"quarters": [(q, pence_from_decimal(q.value)) for q in quarters]},
        looks_ahead=True,
    )
    if not any(q.contracts for q in quarters):
        section.has_data = False
        section.note = f"No registered contract ends in the 24 months from {date_text(as_at)}."
    return section


def _register_section(fy: int, as_at: dt.date) -> Section:
    statement = contracts.register_statement(fy, as_at)
    return Section(
        "register",
        "The contract register",
        data={
            "statement": statement,
            "live_value_pence": pence_from_decimal(statement.live_value),
            "public_path": reverse("register:home"),
        },
    )


def _off_contract_section(fy: int) -> Section:
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


def _payment_performance_section(fy: int, as_at: dt.date) -> Section:
    """Days to pay invoices in the year to the as-at date (the payments dashboard's figure)."""
    prompt = payments.prompt_payment(dt.date(fy, 4, 1), as_at)
    section = Section("payment-performance", "Payment performance", data={"prompt": prompt})
    if not prompt.overall.invoices:
        section.has_data = False
        section.note = (
            f"No invoice payment in {financial_year_label(fy)} can be measured: the ledger "
            "holds none with a received or invoice date. Import the year's extracts with the "
            "invoice received date to complete this section."
        )
    return section


def _notices_section(fy: int, today: dt.date) -> Section:
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


def date_text(day: dt.date) -> str:
    """A date as the web pages write it: 31 March 2025."""
    return f"{day.day} {day:%B %Y}"


def year_end(fy: int) -> dt.date:
    return dt.date(fy + 1, 3, 31)


def report_as_at(fy: int, chosen: dt.date | None = None, today: dt.date | None = None) -> dt.date:
    """The date every figure is as at: the year's end, or an earlier chosen date, and never
    after today (a year still running is reported to date)."""
    today = today or timezone.localdate()
    return min(year_end(fy), chosen or year_end(fy), today)


# Sections with only officers' text, placed before and after the figures.
OPENING_SECTIONS = (("introduction", "Introduction"), ("recommendations", "Recommendations"))


def committee_report_context(
    fy: int, today: dt.date | None = None, edition: Edition | None = None
) -> dict[str, Any]:
    """Everything the committee report shows for financial year ``fy``, as at the year's end
    (or the edition's earlier as-at date, or today while the year runs)."""
    today = today or timezone.localdate()
    as_at = report_as_at(fy, edition.as_at if edition else None, today)
    sections = [
        _spend_section(fy, bool(edition and edition.approximate_top)),
        _limitations_section(fy),
        _locality_section(fy),
        _size_section(fy, today),
        _head_office_section(fy, today),
        _awards_section(fy),
        _social_value_section(fy, as_at),
        _self_assessment_section(as_at),
        _register_section(fy, as_at),
        _forward_plan_section(as_at),
        _off_contract_section(fy),
        _payment_performance_section(fy, as_at),
        _notices_section(fy, as_at),
    ]
    if edition is not None:
        sections = [Section(a, t, has_data=False) for a, t in OPENING_SECTIONS] + sections
        for section in sections:
            section.narrative = edition.text(section.anchor)
    return {
        "fy": fy,
        "fy_label": financial_year_label(fy),
        "today": as_at,
        "as_at": as_at,
        "edition": edition,
        "council": {"name": settings.COUNCIL_NAME, "short_name": settings.COUNCIL_SHORT_NAME},
        "names": place_names(),
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


# --- Editions -------------------------------------------------------------------------------

EDITION_JOB_KIND = "reports.edition_finalise"


def edition_html(edition: Edition, today: dt.date | None = None) -> tuple[str, dict[str, Any]]:
    """The edition's report as HTML, with the context it was rendered from."""
    context = committee_report_context(edition.fy, today, edition=edition)
    return render_to_string("reports/committee.html", context), context


def section_figures_html(context: dict[str, Any], section: Section) -> str:
    """One section's figures as the edition page and the PDF show them."""
    return render_to_string("reports/_section_figures.html", {**context, "section": section})


def section_dicts(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Each section as the edition page, the frozen record and the DOCX take it: its title,
    flags, text and rendered figures."""
    return [
        {
            "anchor": s.anchor,
            "title": s.title,
            "has_data": s.has_data,
            "note": s.note,
            "current": s.current,
            "current_at": s.current_at.isoformat() if s.current_at else None,
            "looks_ahead": s.looks_ahead,
            "narrative": s.narrative,
            "figures_html": section_figures_html(context, s),
        }
        for s in context["sections"]
    ]


def render_edition_pdf(edition: Edition, today: dt.date | None = None) -> bytes:
    html, _ = edition_html(edition, today)
    return html_to_pdf(html, str(settings.BASE_DIR))


def render_edition_docx(edition: Edition, today: dt.date | None = None) -> bytes:
    """A draft's DOCX from the live figures (a final edition's is kept with it)."""
    context = committee_report_context(edition.fy, today, edition=edition)
    return word.edition_docx(
        edition, section_dicts(context), context["as_at"], context["generated_at"]
    )


def frozen_edition_docx(edition: Edition) -> bytes:
    """A final edition's DOCX from its frozen sections only (for an edition finalised before
    DOCX files were kept with it); nothing is read from the live data."""
    frozen = edition.frozen or {}
    return word.edition_docx(
        edition,
        list(frozen.get("sections", [])),
        dt.date.fromisoformat(frozen["as_at"]),
        dt.datetime.fromisoformat(frozen["generated_at"]),
    )


def edition_file_name(edition: Edition, extension: str = "pdf") -> str:
    label = financial_year_label(edition.fy).replace("/", "-")
    return f"committee-scrutiny-report-{label}-{edition.meeting_date:%Y-%m-%d}.{extension}"
