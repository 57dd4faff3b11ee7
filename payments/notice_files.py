"""The approved notice's files, made from its frozen figures (never the live ledger).

The JSON follows the order and wording of reg 38(2) under names in the Find a Tender service's
style. Find a Tender's reception schema for this notice was not in the sources read, so the
names are the portal's: the file is for an officer to copy from or map, not a submission.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from payments.models import PaymentsComplianceNotice
from payments.selectors import BANDS, NoticeFigures
from portal.pdf import html_to_pdf


def _authority(notice: PaymentsComplianceNotice) -> dict[str, str]:
    return dict((notice.figures or {}).get("authority") or {})


def frozen_figures(notice: PaymentsComplianceNotice) -> NoticeFigures:
    if notice.status != PaymentsComplianceNotice.Status.APPROVED or not notice.figures:
        raise ValueError("Only an approved notice has files.")
    return NoticeFigures.from_json(notice.figures)


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def notice_rows(notice: PaymentsComplianceNotice) -> list[tuple[str, str, str]]:
    """(reg 38 item, field, value): the CSV and the PDF's table."""
    figures = frozen_figures(notice)
    authority = _authority(notice)
    percents = figures.band_percents
    rows = [
        ("38(2)(a)", "Contracting authority name", authority.get("name", "")),
        ("38(2)(a)", "Postal address", authority.get("address", "")),
        ("38(2)(a)", "Email address", authority.get("email", "")),
        ("38(2)(a)", "Unique identifier (PPON)", authority.get("ppon", "")),
        ("38(2)(b)", "First day of the reporting period", figures.period_start.isoformat()),
        ("38(2)(b)", "Last day of the reporting period", figures.period_end.isoformat()),
        ("38(2)(c)(i)", "Average number of days to pay", _text(figures.average_days)),
    ]
    for (key, label), paragraph in zip(BANDS, ("aa", "bb", "cc"), strict=True):
        rows.append((f"38(2)(c)(ii)({paragraph})", f"{label} (%)", _text(percents[key])))
    rows += [
        (
            "38(2)(d)",
            "Sums payable in the period not paid in it (%)",
            _text(figures.unpaid_percent),
        ),
        ("38(2)(e)", "Approval statement", notice.approval_statement),
        ("38(2)(e)", "Approved by", notice.approver_name),
        ("38(2)(e)", "Job title", notice.approver_job_title),
        ("", "Invoice payments measured", str(figures.invoices_paid)),
        ("", "Received date rule", figures.rule_sentence),
    ]
    return rows


def notice_csv(notice: PaymentsComplianceNotice) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Regulation", "Field", "Value"])
    writer.writerows(notice_rows(notice))
    return buffer.getvalue().encode("utf-8-sig")


def notice_json(notice: PaymentsComplianceNotice) -> dict[str, Any]:
    figures = frozen_figures(notice)
    authority = _authority(notice)
    percents = figures.band_percents

    def number(value: Decimal | None) -> float | None:
        # JSON numbers to one decimal place, as entered on the notice form.
        return None if value is None else float(value)

    return {
        "noticeType": "paymentsComplianceNotice",
        "legalBasis": "Procurement Act 2023 s.69; Procurement Regulations 2024 reg 38",
        "contractingAuthority": {
            "name": authority.get("name", ""),
            "address": authority.get("address", ""),
            "email": authority.get("email", ""),
            "identifier": {"scheme": "GB-PPON", "id": authority.get("ppon", "")},
        },
        "reportingPeriod": {
            "startDate": figures.period_start.isoformat(),
            "endDate": figures.period_end.isoformat(),
        },
        "paymentsMade": {
            "averageDaysToPay": number(figures.average_days),
            "percentagePaidDays1To30": number(percents["1-30"]),
            "percentagePaidDays31To60": number(percents["31-60"]),
            "percentagePaidDay61OrLater": number(percents["61+"]),
        },
        "sumsPayable": {"percentageNotPaidInPeriod": number(figures.unpaid_percent)},
        "approval": {
            "statement": notice.approval_statement,
            "name": notice.approver_name,
            "jobTitle": notice.approver_job_title,
            "date": notice.approved_at.date().isoformat() if notice.approved_at else None,
        },
        "basis": {
            "invoicePaymentsMeasured": figures.invoices_paid,
            "receivedDateRule": figures.rule_sentence,
            "creditNotesLeftOut": figures.credit_count,
            "unmeasurableLeftOut": figures.unmeasurable_count,
            "disputedLeftOut": figures.disputed_count,
            "sumsPayableCounted": figures.payable_count,
            "exclusions": [
                {"rule": e.label, "reason": e.reason, "amountPence": e.pence}
                for e in figures.excluded
            ],
        },
    }


def notice_json_bytes(notice: PaymentsComplianceNotice) -> bytes:
    return json.dumps(notice_json(notice), indent=2, ensure_ascii=False).encode("utf-8")


def notice_pdf(notice: PaymentsComplianceNotice) -> bytes:
    """A short document, so made in this process (portal.pdf: tagged, PDF/UA-1)."""
    figures = frozen_figures(notice)
    html = render_to_string(
        "payments/notice_pdf.html",
        {
            "notice": notice,
            "figures": figures,
            "authority": _authority(notice),
            "rows": notice_rows(notice),
            "generated": timezone.now(),
        },
    )
    return html_to_pdf(html, base_url=str(settings.BASE_DIR))
