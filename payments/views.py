"""Payment duty pages: the notices, their invoices and files, scope, and open invoices."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from payments import notice_files, selectors, services
from payments.forms import (
    ApprovalForm,
    BaseRateForm,
    DutySettingsForm,
    ExclusionForm,
    OpenInvoicesForm,
)
from payments.models import BaseRate, OpenInvoiceImport, PaymentsComplianceNotice, ScopeExclusion
from payments.periods import Period, period_starting, periods_between
from portal import formatting, money
from portal.exports import csv_response
from portal.periods import Quarter
from portal.roles import READERS, STAFF, Role, has_role, role_required, signed_in_user
from spend.selectors import financial_years


def _period(slug: str) -> Period:
    try:
        return period_starting(dt.date.fromisoformat(slug))
    except ValueError:
        raise Http404("No reporting period starts on that day.") from None


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Home", reverse("home:home")),
        ("Payment duties", reverse("payments:home")),
        *extra,
    ]


@role_required(*READERS)
def home(request: HttpRequest) -> HttpResponse:
    notices = {n.period_start: n for n in PaymentsComplianceNotice.objects.all()}
    periods = [(p, notices.get(p.start)) for p in selectors.periods_to_report()]
    return render(
        request,
        "payments/home.html",
        {
            "periods": periods,
            "is_admin": has_role(request.user, Role.ADMINISTRATOR),
            "breadcrumbs": [("Home", reverse("home:home")), ("Payment duties", None)],
        },
    )


@role_required(*READERS)
def notice(request: HttpRequest, slug: str) -> HttpResponse:
    period = _period(slug)
    record = selectors.notice_for(period)
    approved = record is not None and record.status == PaymentsComplianceNotice.Status.APPROVED
    live = selectors.notice_figures(period)
    figures = notice_files.frozen_figures(record) if approved and record else live
    changed = approved and live.as_json() != figures.as_json()
    form = ApprovalForm(request.POST or None)
    can_approve = has_role(request.user, *STAFF)
    if request.method == "POST":
        if not can_approve:
            raise PermissionDenied("Your role does not give you access to this page.")
        if form.is_valid():
            try:
                services.notice_approve(
                    period=period,
                    user=signed_in_user(request),
                    **form.cleaned_data,
                )
            except services.NoticeNotReady as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "The notice is approved and its figures are frozen.")
                return redirect("payments:notice", slug=slug)
    return render(
        request,
        "payments/notice.html",
        {
            "period": period,
            "notice": record,
            "approved": approved,
            "figures": figures,
            "changed": changed,
            "bands": [
                (key, label, figures.band_counts[key], figures.band_percents[key])
                for key, label in selectors.BANDS
            ],
            "form": form,
            "can_approve": can_approve and not approved and period.statutory,
            "breadcrumbs": _crumbs((period.label, None)),
        },
    )


INVOICE_HEADER = (
    "Supplier number",
    "Supplier",
    "Invoice number",
    "Invoice date",
    "Received date (extract)",
    "Received date used",
    "Due date",
    "Payment date",
    "Days to pay",
    "Amount (£)",
    "Disputed",
)


@role_required(*READERS)
def notice_invoices(request: HttpRequest, slug: str, band: str) -> HttpResponseBase:
    period = _period(slug)
    labels = dict(selectors.BANDS + selectors.OTHER_LISTS)
    if band not in labels:
        raise Http404("No such list.")
    invoices = selectors.notice_invoices(period, band)
    if request.GET.get("_export") == "csv":
        return csv_response(
            f"payments-{slug}-{band}.csv",
            INVOICE_HEADER,
            (
                (
                    i.supplier_number,
                    i.supplier_name,
                    i.invoice_number,
                    i.invoice_date,
                    i.received_date,
                    i.received_used,
                    i.due_date,
                    i.payment_date,
                    i.days,
                    money.pounds_decimal(i.amount_pence),
                    "Y" if i.disputed else "N",
                )
                for i in invoices
            ),
        )
    return render(
        request,
        "payments/invoices.html",
        {
            "period": period,
            "band": band,
            "label": labels[band],
            "invoices": invoices,
            "limit": selectors.DRILL_LIMIT,
            "breadcrumbs": _crumbs(
                (period.label, reverse("payments:notice", args=[slug])), (labels[band], None)
            ),
        },
    )


@role_required(*READERS)
def notice_file(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    period = _period(slug)
    record = get_object_or_404(
        PaymentsComplianceNotice,
        period_start=period.start,
        status=PaymentsComplianceNotice.Status.APPROVED,
    )
    name = f"payments-compliance-notice-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}"
    if kind == "pdf":
        response = HttpResponse(notice_files.notice_pdf(record), content_type="application/pdf")
    elif kind == "csv":
        response = HttpResponse(
            notice_files.notice_csv(record), content_type="text/csv; charset=utf-8"
        )
    elif kind == "json":
        response = HttpResponse(
            notice_files.notice_json_bytes(record), content_type="application/json"
        )
    else:
        raise Http404("No such file.")
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@role_required(Role.ADMINISTRATOR)
def scope(request: HttpRequest) -> HttpResponse:
    current = selectors.duty_settings()
    settings_form = DutySettingsForm(
        request.POST if request.POST.get("form") == "settings" else None, instance=current
    )
    exclusion_form = ExclusionForm(
        request.POST if request.POST.get("form") == "exclusion" else None
    )
    rate_form = BaseRateForm(request.POST if request.POST.get("form") == "rate" else None)
    user = signed_in_user(request)
    if request.method == "POST":
        if request.POST.get("form") == "rate" and rate_form.is_valid():
            services.base_rate_set(**rate_form.cleaned_data)
            messages.success(request, "Base rate saved.")
            return redirect("payments:scope")
        if request.POST.get("form") == "settings" and settings_form.is_valid():
            services.duty_settings_save(**settings_form.cleaned_data)
            messages.success(request, "Settings saved.")
            return redirect("payments:scope")
        if request.POST.get("form") == "exclusion" and exclusion_form.is_valid():
            data = exclusion_form.cleaned_data
            is_category = data["kind"] == "category"
            if is_category and ScopeExclusion.objects.filter(category=data["category"]).exists():
                exclusion_form.add_error("category", "That category is already left out.")
            elif (
                not is_category
                and ScopeExclusion.objects.filter(
                    account_prefix=data["account_prefix"].strip()
                ).exists()
            ):
                exclusion_form.add_error("account_prefix", "Those codes are already left out.")
            else:
                services.exclusion_add(
                    reason=data["reason"],
                    user=user,
                    category=data["category"] if is_category else None,
                    account_prefix="" if is_category else data["account_prefix"],
                )
                messages.success(request, "Exclusion added.")
                return redirect("payments:scope")
    return render(
        request,
        "payments/scope.html",
        {
            "settings_form": settings_form,
            "exclusion_form": exclusion_form,
            "exclusions": selectors.exclusions(),
            "rate_form": rate_form,
            "rates": BaseRate.objects.order_by("-effective_from")[:12],
            "breadcrumbs": _crumbs(("Scope and settings", None)),
        },
    )


@require_POST
@role_required(Role.ADMINISTRATOR)
def exclusion_remove(request: HttpRequest, pk: int) -> HttpResponse:
    services.exclusion_remove(exclusion=get_object_or_404(ScopeExclusion, pk=pk))
    messages.success(request, "Exclusion removed.")
    return redirect("payments:scope")


def _period_ends() -> list[tuple[str, str]]:
    today = timezone.localdate()
    # The ledger's periods, and at least the last three years' (open invoices may come first).
    first = min([p.start for p in selectors.periods_to_report()] + [dt.date(today.year - 3, 4, 1)])
    ends = sorted({p.end for p in periods_between(first, today)}, reverse=True)
    return [(end.isoformat(), f"{end:%-d %B %Y}") for end in ends]


@role_required(Role.ADMINISTRATOR)
def open_invoices(request: HttpRequest) -> HttpResponse:
    form = OpenInvoicesForm(request.POST or None, request.FILES or None, period_ends=_period_ends())
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["extract"]
        batch = services.open_invoices_import(
            source=upload,
            file_name=upload.name,
            as_at=dt.date.fromisoformat(form.cleaned_data["as_at"]),
            user=signed_in_user(request),
        )
        if batch.status == OpenInvoiceImport.Status.LOADED:
            messages.success(
                request, f"{batch.rows_loaded:,} open invoices loaded for {batch.as_at:%-d %B %Y}."
            )
        else:
            messages.error(request, batch.error)
        return redirect("payments:open-invoices")
    return render(
        request,
        "payments/open_invoices.html",
        {
            "form": form,
            "imports": OpenInvoiceImport.objects.select_related("uploaded_by")[:50],
            "breadcrumbs": _crumbs(("Open invoices", None)),
        },
    )


@role_required(*READERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Prompt payment for a financial year: days to pay every way, slowest, and interest."""

    years = financial_years()
    try:
        fy: int | None = int(request.GET.get("fy", ""))
    except ValueError:
        fy = None
    if fy not in years:
        fy = years[-1] if years else None
    context: dict[str, object] = {
        "years": [
            {
                "label": formatting.financial_year_label(y),
                "current": y == fy,
                "url": f"{request.path}?fy={y}",
            }
            for y in reversed(years)
        ],
        "fy": fy,
        "breadcrumbs": _crumbs(("Prompt payment", None)),
    }
    if fy is not None:
        result = selectors.prompt_payment(dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31))
        context.update(
            {
                "fy_label": formatting.financial_year_label(fy),
                "result": result,
                "department_caption": (
                    f"The {selectors.DEPARTMENT_ROWS} departments (cost centres) with the most "
                    f"invoice payments, of {result.department_count:,}"
                    if result.department_count > selectors.DEPARTMENT_ROWS
                    else "By department (cost centre)"
                ),
            }
        )
    return render(request, "payments/dashboard.html", context)


LARGE_HEADER = (
    "Contract reference",
    "Contract title",
    "Open Contracting ID",
    "Supplier",
    "Supplier number",
    "Company number",
    "Invoice number",
    "Payment date",
    "Amount paid (£, VAT included)",
    "Matched to the contract by",
    "Also linked to",
)


@role_required(*READERS)
def payments_over_30000(request: HttpRequest) -> HttpResponseBase:
    """The quarterly file of payments over £30,000 (s.70), from April to June 2026 on."""

    today = timezone.localdate()
    first = Quarter.containing(selectors.S70_FROM)
    latest = max(Quarter.previous(today), first)
    try:
        quarter = Quarter.parse(request.GET["quarter"]) if "quarter" in request.GET else latest
    except ValueError:
        raise Http404("Not a quarter.") from None
    if quarter < first:
        raise Http404("Section 70 applies to payments from 1 April 2026.")
    rows = selectors.payments_over_threshold(quarter.start, quarter.end)
    if request.GET.get("_export") == "csv":
        return csv_response(
            f"payments-over-30000-{quarter.code}.csv",
            LARGE_HEADER,
            (
                (
                    r.contract_reference,
                    r.contract_title,
                    r.ocid,
                    r.supplier_name,
                    r.supplier_number,
                    r.company_number,
                    r.invoice_number,
                    r.payment_date,
                    money.pounds_decimal(r.amount_pence),
                    "; ".join(r.matched_by),
                    "; ".join(r.also_linked_to),
                )
                for r in rows
            ),
        )
    quarters = []
    current = first
    while current <= max(latest, quarter):
        quarters.append(current)
        current = current.next()
    return render(
        request,
        "payments/over_30000.html",
        {
            "quarter": quarter,
            "quarters": [
                {"label": q.code, "current": q == quarter, "url": f"?quarter={q.code}"}
                for q in reversed(quarters)
            ],
            "rows": rows,
            "ambiguous": sum(1 for r in rows if r.also_linked_to),
            "breadcrumbs": _crumbs(("Payments over £30,000", None)),
        },
    )
