"""Writes for the payment duties: settings, scope, open invoices, and notice approval."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import IO

from django.db import transaction
from django.utils import timezone

from payments import selectors
from payments.models import (
    BaseRate,
    OpenInvoice,
    OpenInvoiceImport,
    PaymentDutySettings,
    PaymentsComplianceNotice,
    ScopeExclusion,
)
from payments.open_items import OpenRow, read_open_items
from payments.periods import Period
from portal.models import User
from spend.ingest.errors import ImportRejected
from spend.ingest.staging import Categoriser
from spend.models import Category, CategoryRule


class NoticeNotReady(Exception):
    """The notice cannot be approved yet; the message says what is missing."""


@transaction.atomic
def duty_settings_save(
    *,
    authority_name: str,
    authority_address: str,
    authority_email: str,
    ppon: str,
    received_rule: str,
    received_days: int,
) -> PaymentDutySettings:
    settings = PaymentDutySettings.objects.select_for_update().first() or PaymentDutySettings()
    settings.authority_name = authority_name
    settings.authority_address = authority_address
    settings.authority_email = authority_email
    settings.ppon = ppon
    settings.received_rule = received_rule
    settings.received_days = received_days
    settings.updated_at = timezone.now()
    settings.save()
    return settings


@transaction.atomic
def exclusion_add(
    *, reason: str, user: User | None, category: Category | None = None, account_prefix: str = ""
) -> ScopeExclusion:
    return ScopeExclusion.objects.create(
        category=category, account_prefix=account_prefix.strip(), reason=reason, created_by=user
    )


@transaction.atomic
def exclusion_remove(*, exclusion: ScopeExclusion) -> None:
    exclusion.delete()


def _merge_instalments(rows: list[OpenRow]) -> dict[tuple[str, str], OpenRow]:
    """An invoice listed once per payment schedule becomes one: amounts added, the earliest
    due date kept, disputed if any schedule is."""
    merged: dict[tuple[str, str], OpenRow] = {}
    for row in rows:
        key = (row.supplier_number, row.invoice_number)
        known = merged.get(key)
        if known is None:
            merged[key] = row
            continue
        dues = [d for d in (known.due_date, row.due_date) if d is not None]
        merged[key] = OpenRow(
            line=known.line,
            supplier_number=known.supplier_number,
            supplier_name=known.supplier_name or row.supplier_name,
            invoice_number=known.invoice_number,
            invoice_date=known.invoice_date or row.invoice_date,
            received_date=known.received_date or row.received_date,
            due_date=min(dues) if dues else None,
            amount_pence=known.amount_pence + row.amount_pence,
            disputed=known.disputed or row.disputed,
            account=known.account or row.account,
        )
    return merged


def open_invoices_import(
    *, source: IO[bytes], file_name: str, as_at: dt.date, user: User | None
) -> OpenInvoiceImport:
    """Load an open invoices extract for a date, all or nothing.

    The same file again changes nothing (status "Already imported"); another file for the same
    date replaces the earlier one's invoices in the same transaction; a refused file leaves the
    open invoices as they were and says which line and column is wrong."""
    digest = hashlib.sha256()
    while chunk := source.read(1024 * 1024):
        digest.update(chunk)
    source.seek(0)
    sha256 = digest.hexdigest()
    earlier = OpenInvoiceImport.objects.filter(
        sha256=sha256, as_at=as_at, status=OpenInvoiceImport.Status.LOADED
    ).first()
    if earlier is not None:
        return OpenInvoiceImport.objects.create(
            file_name=file_name,
            sha256=sha256,
            as_at=as_at,
            status=OpenInvoiceImport.Status.DUPLICATE,
            error=(
                f"This file was already loaded on {earlier.created_at:%-d %B %Y}; nothing changed."
            ),
            uploaded_by=user,
        )
    try:
        rows = _merge_instalments(list(read_open_items(source, file_name)))
    except ImportRejected as error:
        return OpenInvoiceImport.objects.create(
            file_name=file_name,
            sha256=sha256,
            as_at=as_at,
            status=OpenInvoiceImport.Status.REJECTED,
            error=str(error),
            error_line=error.line_number,
            error_column=error.column or "",
            uploaded_by=user,
        )
    categorise = Categoriser(CategoryRule.objects.values_list("account_prefix", "category_id"))
    with transaction.atomic():
        replaced = OpenInvoiceImport.objects.select_for_update().filter(
            as_at=as_at, status=OpenInvoiceImport.Status.LOADED
        )
        for old in replaced:
            old.invoices.all().delete()
        replaced.update(status=OpenInvoiceImport.Status.REPLACED)
        batch = OpenInvoiceImport.objects.create(
            file_name=file_name,
            sha256=sha256,
            as_at=as_at,
            status=OpenInvoiceImport.Status.LOADED,
            rows_loaded=len(rows),
            total_pence=sum(r.amount_pence for r in rows.values()),
            uploaded_by=user,
        )
        OpenInvoice.objects.bulk_create(
            (
                OpenInvoice(
                    batch=batch,
                    as_at=as_at,
                    supplier_number=r.supplier_number[:40],
                    supplier_name=r.supplier_name[:240],
                    invoice_number=r.invoice_number[:100],
                    invoice_date=r.invoice_date,
                    received_date=r.received_date,
                    due_date=r.due_date,
                    amount_pence=r.amount_pence,
                    disputed=r.disputed,
                    account=r.account[:60],
                    category_id=categorise(r.account),
                    source_line=r.line,
                )
                for r in rows.values()
            ),
            batch_size=2000,
        )
    return batch


APPROVAL_STATEMENT = (
    "I approve this payments compliance notice, published under section 69 of the Procurement "
    "Act 2023 and regulation 38 of the Procurement Regulations 2024."
)


@transaction.atomic
def notice_approve(
    *, period: Period, approver_name: str, approver_job_title: str, user: User
) -> PaymentsComplianceNotice:
    """Record a finance officer's approval and freeze the figures as they are now."""
    if not period.statutory:
        raise NoticeNotReady(
            "This period began before the duty did (1 January 2026): its figures are what a "
            "notice would have been, for comparison, and are not approved or published."
        )
    notice, _ = PaymentsComplianceNotice.objects.select_for_update().get_or_create(
        period_start=period.start, defaults={"period_end": period.end}
    )
    if notice.status == PaymentsComplianceNotice.Status.APPROVED:
        raise NoticeNotReady(
            f"This notice was already approved by {notice.approver_name} on "
            f"{notice.approved_at:%-d %B %Y}; its figures are frozen."
        )
    if not approver_name.strip() or not approver_job_title.strip():
        raise NoticeNotReady("Enter the finance officer's name and job title.")
    figures = selectors.notice_figures(period, fresh=True)
    if not figures.complete:
        raise NoticeNotReady(
            f"Upload the open (unpaid) invoices at {period.end:%-d %B %Y} first: the "
            "percentage of sums not paid in the period needs them."
        )
    if not figures.invoices_paid:
        raise NoticeNotReady("No invoice payments in scope were made in this period.")
    notice.period_end = period.end
    notice.status = PaymentsComplianceNotice.Status.APPROVED
    settings = selectors.duty_settings()
    notice.figures = {
        **figures.as_json(),
        "authority": {
            "name": settings.authority_name,
            "address": settings.authority_address,
            "email": settings.authority_email,
            "ppon": settings.ppon,
        },
    }
    notice.approver_name = approver_name.strip()
    notice.approver_job_title = approver_job_title.strip()
    notice.approval_statement = APPROVAL_STATEMENT
    notice.approved_at = timezone.now()
    notice.recorded_by = user
    notice.save()
    return notice


@transaction.atomic
def base_rate_set(*, effective_from: dt.date, rate: Decimal) -> BaseRate:
    """Record a Bank of England base rate change (or correct one)."""
    found, _ = BaseRate.objects.update_or_create(
        effective_from=effective_from, defaults={"rate": rate}
    )
    return found
