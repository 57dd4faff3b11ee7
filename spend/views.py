"""Spend pages. Imports (administrators) live here; the dashboards build on the selectors."""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django_tables2 import RequestConfig

from portal import charts, exports, formatting
from portal import selectors as portal_selectors
from portal.exports import (
    csv_copy_response,
    csv_response,
    export_format,
    table_export_response,
    xlsx_response,
)
from portal.forms import financial_year_param
from portal.roles import READERS, STAFF, Role, has_role, role_required, signed_in_user
from spend import selectors, services, tables
from spend.filters import PaymentFilter, SupplierSpendFilter
from spend.forms import (
    CategoryRuleForm,
    ColumnMappingForm,
    RedactionMarkerForm,
    SundryNumberForm,
    ThresholdForm,
    UploadForm,
    WithdrawForm,
)
from spend.models import (
    CategoryRule,
    ImportBatch,
    RedactionMarker,
    SundrySupplierNumber,
    Supplier,
)


@role_required(Role.ADMINISTRATOR)
def imports(request: HttpRequest) -> HttpResponse:
    """Upload extracts (several at once) and see every batch with its counts and status."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        user = signed_in_user(request)
        received = [
            services.batch_receive(
                source=upload, file_name=upload.name, user=user, layout=form.cleaned_data["layout"]
            )
            for upload in form.cleaned_data["extracts"]
        ]
        started = services.batches_start(batches=received, user=user)
        refused = [b for b in received if b.status == ImportBatch.Status.REJECTED]
        not_queued = portal_selectors.jobs_not_queued([b.job_id for b in started if b.job_id])
        if not_queued:
            messages.warning(
                request,
                f"{not_queued} file(s) were received and kept, but the job queue could not be "
                "reached, so they are waiting. Open each import's job and choose Run again "
                "once the portal's job queue is back (tell the portal's administrator).",
            )
        elif started:
            messages.success(request, f"{len(started)} file(s) queued for import.")
        for batch in refused:
            messages.error(request, batch.error)
        return redirect("spend:imports")
    return render(
        request,
        "spend/imports.html",
        {
            "form": form,
            "batches": selectors.import_batches()[:100],
            "breadcrumbs": [("Home", reverse("home:home")), ("Imports", None)],
        },
    )


@role_required(Role.ADMINISTRATOR)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _import_detail_page(request, pk, WithdrawForm())


def _import_detail_page(request: HttpRequest, pk: int, withdraw_form: WithdrawForm) -> HttpResponse:
    batch = get_object_or_404(selectors.import_batches(), pk=pk)
    return render(
        request,
        "spend/import_detail.html",
        {
            "batch": batch,
            "withdraw_form": withdraw_form,
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Imports", reverse("spend:imports")),
                (batch.file_name, None),
            ],
        },
    )


@role_required(Role.ADMINISTRATOR)
def import_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a loaded file, undo a withdrawal, or decide on a held file (POST only)."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    if request.method != "POST":
        return redirect(batch.get_absolute_url())
    user = signed_in_user(request)
    action = request.POST.get("action", "")
    try:
        if action == "withdraw":
            form = WithdrawForm(request.POST)
            if not form.is_valid():  # the page again, the error beside the box
                return _import_detail_page(request, pk, form)
            reason = form.cleaned_data["reason"].strip()
            withdrawal = services.batch_withdraw(batch=batch, user=user, reason=reason)
            messages.success(
                request, f"{withdrawal.payment_count:,} payments withdrawn from the ledger."
            )
        elif action == "undo":
            withdrawal = get_object_or_404(
                batch.withdrawals.all(), pk=request.POST.get("withdrawal")
            )
            services.withdrawal_undo(withdrawal=withdrawal, user=user)
            messages.success(request, "The withdrawal was undone.")
        elif action == "good-rows":
            chosen = services.batch_import_good_rows(batch=batch, user=user)
            services.batches_start(batches=[chosen], user=user)
            messages.success(request, f"The good rows of {batch.file_name} are being imported.")
        elif action in ("import", "months"):
            decided = services.batch_decide(batch=batch, decision=action, user=user)
            services.batches_start(batches=[decided], user=user)
            messages.success(request, f"{batch.file_name} is being imported.")
        else:
            messages.error(request, "Choose what to do with the file.")
    except services.WithdrawRefused as refusal:
        messages.error(request, str(refusal))
    return redirect(batch.get_absolute_url())


@role_required(Role.ADMINISTRATOR)
def import_refused_rows(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The rows "import the good rows" set aside: line, column, value, reason."""
    batch = get_object_or_404(ImportBatch, pk=pk)
    return csv_response(
        f"refused-rows-{batch.pk}.csv",
        services.REFUSED_ROWS_HEADER,
        services.refused_rows_csv(batch),
    )


@role_required(Role.ADMINISTRATOR)
def payee_rules(request: HttpRequest) -> HttpResponse:
    """Redaction markers and sundry supplier numbers: how the import files payees."""
    user = signed_in_user(request)
    marker_form = RedactionMarkerForm(request.POST if "text" in request.POST else None)
    sundry_form = SundryNumberForm(request.POST if "supplier_number" in request.POST else None)
    if request.method == "POST":
        if remove := request.POST.get("remove_marker"):
            services.redaction_marker_remove(marker=get_object_or_404(RedactionMarker, pk=remove))
            messages.success(request, "Marker removed.")
            return redirect("spend:payee-rules")
        if remove := request.POST.get("remove_sundry"):
            services.sundry_number_remove(number=get_object_or_404(SundrySupplierNumber, pk=remove))
            messages.success(request, "Supplier number removed.")
            return redirect("spend:payee-rules")
        if marker_form.is_bound and marker_form.is_valid():
            services.redaction_marker_add(text=marker_form.cleaned_data["text"], user=user)
            messages.success(request, "Marker saved. It applies to files imported from now on.")
            return redirect("spend:payee-rules")
        if sundry_form.is_bound and sundry_form.is_valid():
            services.sundry_number_declare(user=user, **sundry_form.cleaned_data)
            messages.success(request, "Supplier number saved.")
            return redirect("spend:payee-rules")
    return render(
        request,
        "spend/payee_rules.html",
        {
            "marker_form": marker_form,
            "sundry_form": sundry_form,
            "forms": [marker_form, sundry_form],
            "markers": RedactionMarker.objects.all(),
            "sundry_numbers": SundrySupplierNumber.objects.select_related("found_in"),
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Imports", reverse("spend:imports")),
                ("Redacted payees and shared supplier numbers", None),
            ],
        },
    )


@role_required(Role.ADMINISTRATOR)
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Say which column holds what, for a file whose header no layout recognised."""
    batch = get_object_or_404(selectors.import_batches(), pk=pk)
    try:
        headings = services.file_headings(batch)
    except services.StoredFileMissing as missing:
        messages.error(request, str(missing))
        return redirect(batch.get_absolute_url())
    form = ColumnMappingForm(request.POST or None, headings=headings)
    if request.method == "POST" and form.is_valid():
        retry = services.mapping_profile_save(
            batch=batch,
            name=form.cleaned_data["name"],
            mapping=form.mapping(),
            user=signed_in_user(request),
        )
        messages.success(request, f"Mapping saved. {batch.file_name} is being imported again.")
        return redirect(retry.get_absolute_url())
    return render(
        request,
        "spend/import_mapping.html",
        {
            "batch": batch,
            "form": form,
            "headings": headings,
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Imports", reverse("spend:imports")),
                (batch.file_name, batch.get_absolute_url()),
                ("Map columns", None),
            ],
        },
    )


# --- Dashboards (procurement officers and councillors) ------------------------------------------

DASHBOARD_ROLES = READERS


def _one_version(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every figure on the page from one summary version (see selectors.one_summary_version)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with selectors.one_summary_version():
            return view(request, *args, **kwargs)

    return wrapped


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("Home", reverse("home:home")), *items]


def _chosen_year(request: HttpRequest, years: list[int]) -> int | None:
    """The financial year asked for (``?fy=2023``), else the latest with spend."""
    wanted = financial_year_param(request)
    if wanted is not None and (wanted in years or not years):
        return wanted
    return years[-1] if years else None


def _year_nav(request: HttpRequest, years: list[int], fy: int | None) -> list[dict[str, Any]]:
    return [
        {
            "fy": y,
            "label": formatting.financial_year_label(y),
            "current": y == fy,
            "url": f"{request.path}?fy={y}",
        }
        for y in reversed(years)
    ]


@role_required(*DASHBOARD_ROLES)
@_one_version
def overview(request: HttpRequest) -> HttpResponseBase:
    """The year at a glance: total paid, suppliers, payments, by month, category, locality."""
    years = selectors.financial_years()
    fy = _chosen_year(request, years)
    context: dict[str, Any] = {
        "years": _year_nav(request, years, fy),
        "fy": fy,
        "breadcrumbs": _crumbs(("Spend", None)),
    }
    if fy is None:
        return render(request, "spend/overview.html", context)
    months = selectors.spend_by_month(fy)
    month_table = tables.MonthTable(months, fy=fy)
    exported = table_export_response(request, month_table, f"spend-by-month-{fy}")
    if exported:
        return exported
    by_category = selectors.spend_by_category(fy)
    by_locality = selectors.spend_by_locality(fy)
    label = formatting.financial_year_label(fy)
    context.update(
        {
            "total": selectors.spend_total(fy),
            "suppliers_paid": selectors.suppliers_paid(fy),
            "redacted": selectors.redacted_spend(fy),
            "payments": selectors.payment_count(fy),
            "completeness": selectors.year_completeness(fy),
            "month_table": month_table,
            "by_category": by_category,
            "by_locality": by_locality,
            "month_chart": charts.money_bar_chart(
                chart_id=f"months-{fy}",
                title=f"Spend by month, {label}",
                labels=[formatting.month_label(m.month) for m in months],
                values_pence=[m.total_pence for m in months],
                summary="The same figures are in the table below the chart.",
            ),
            "category_chart": charts.money_bar_chart(
                chart_id=f"categories-{fy}",
                title=f"Spend by category, {label}",
                horizontal=True,
                labels=[c.name for c in by_category],
                values_pence=[c.total_pence for c in by_category],
                height=max(240, 34 * len(by_category) + 80),
                summary="The same figures are in the table below the chart.",
            ),
            "payments_url": tables.payments_url(fy=fy),
            "breadcrumbs": _crumbs(("Spend", None)),
        }
    )
    return render(request, "spend/overview.html", context)


@role_required(*DASHBOARD_ROLES)
@_one_version
def suppliers(request: HttpRequest) -> HttpResponseBase:
    """Suppliers by spend: filter by year, category, locality, name and spend; sort; export."""
    years = selectors.financial_years()
    data = request.GET.copy()
    if "fy" not in data and years:
        data["fy"] = str(years[-1])
    supplier_filter = SupplierSpendFilter(data)
    selected = supplier_filter.selected
    table = tables.SupplierSpendTable(supplier_filter.qs, fy=selected["fy"], filters=selected)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    label = formatting.financial_year_label(selected["fy"]) if selected["fy"] else "all years"
    exported = table_export_response(request, table, f"suppliers-{selected['fy'] or 'all'}")
    if exported:
        return exported
    return render(
        request,
        "spend/suppliers.html",
        {
            "filter": supplier_filter,
            "table": table,
            "year_label": label,
            "breadcrumbs": _crumbs(("Spend", reverse("spend:overview")), ("Suppliers", None)),
        },
    )


@role_required(*DASHBOARD_ROLES)
@_one_version
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk)
    by_year = selectors.supplier_spend_by_year(supplier.pk)
    years = [y.fy for y in by_year]
    fy = _chosen_year(request, years)
    context: dict[str, Any] = {
        "supplier": supplier,
        "by_year": by_year,
        "fy": fy,
        "years": _year_nav(request, years, fy),
        "sites": selectors.supplier_sites(supplier.pk),
        "contracts": selectors.supplier_contracts(supplier),
        "all_payments_url": tables.payments_url(supplier=supplier.pk),
        "breadcrumbs": _crumbs(
            ("Spend", reverse("spend:overview")),
            ("Suppliers", reverse("spend:suppliers")),
            (supplier.name, None),
        ),
    }
    if fy is not None:
        months = selectors.supplier_spend_by_month(supplier.pk, fy)
        label = formatting.financial_year_label(fy)
        context.update(
            {
                "month_table": tables.MonthTable(
                    months, fy=fy, supplier=supplier.pk, caption=f"Spend by month, {label}"
                ),
                "month_chart": charts.money_bar_chart(
                    chart_id=f"supplier-{supplier.pk}-{fy}",
                    title=f"Spend with {supplier.name} by month, {label}",
                    labels=[formatting.month_label(m.month) for m in months],
                    values_pence=[m.total_pence for m in months],
                    summary="The same figures are in the table below the chart.",
                ),
                "categories": selectors.supplier_spend_by_category(supplier.pk, fy),
                "year_payments_url": tables.payments_url(fy=fy, supplier=supplier.pk),
            }
        )
    payments = selectors.payments(selectors.PaymentFilters(fy=fy, supplier=supplier.pk))
    context["recent_payments"] = payments.select_related("category").order_by(
        "-payment_date", "-id"
    )[:20]
    return render(request, "spend/supplier.html", context)


@role_required(*DASHBOARD_ROLES)
@_one_version
def locality(request: HttpRequest) -> HttpResponseBase:
    """The committee report's locality table for every year with spend, and the split."""
    rows = selectors.locality_by_year()
    home_label = settings.COUNCIL_SHORT_NAME
    table = tables.LocalityYearTable(rows, home_label=home_label)
    exported = table_export_response(request, table, "locality-by-year")
    if exported:
        return exported
    labels = [formatting.financial_year_label(r.fy) + ("*" if r.incomplete else "") for r in rows]
    return render(
        request,
        "spend/locality.html",
        {
            "rows": rows,
            "table": table,
            "split_table": tables.LocalitySplitTable(rows),
            "home_label": home_label,
            "limit_percent": int(selectors.UNKNOWN_LOCALITY_LIMIT * 100),
            "incomplete": [r for r in rows if r.incomplete],
            "undetermined": [r for r in rows if r.undetermined],
            "chart": charts.percent_line_chart(
                chart_id="locality-share",
                title=f"% value of spend with suppliers with a {home_label} address",
                labels=labels,
                series=[(f"{home_label} share", [r.home_share for r in rows])],
                summary="Years shown as - have no point. The same figures are in the table.",
            ),
            "breadcrumbs": _crumbs(("Spend", reverse("spend:overview")), ("Locality", None)),
        },
    )


def _threshold_form(request: HttpRequest, label: str, default_pence: int) -> ThresholdForm:
    """The page's threshold box, bound when the address gives one (``.pounds`` is it, or the
    default with the error shown beside the box)."""
    data = request.GET if "threshold" in request.GET else None
    return ThresholdForm(data, label=label, default_pounds=default_pence // 100)


@role_required(*DASHBOARD_ROLES)
@_one_version
def tail(request: HttpRequest) -> HttpResponseBase:
    """Tail spend: suppliers paid under the threshold, the top 20 and 40, the Pareto curve."""
    years = selectors.financial_years()
    fy = _chosen_year(request, years)
    threshold_form = _threshold_form(
        request, "Tail threshold (£ a year per supplier)", selectors.TAIL_THRESHOLD_PENCE
    )
    threshold = threshold_form.pounds
    context: dict[str, Any] = {
        "fy": fy,
        "years": _year_nav(request, years, fy),
        "threshold": threshold,
        "threshold_form": threshold_form,
        "breadcrumbs": _crumbs(("Spend", reverse("spend:overview")), ("Tail spend", None)),
    }
    if fy is None:
        return render(request, "spend/tail.html", context)
    top = selectors.top_suppliers(fy, 20)
    top_table = tables.TopSupplierTable(top, fy=fy)
    exported = table_export_response(request, top_table, f"top-suppliers-{fy}")
    if exported:
        return exported
    pareto = selectors.spend_pareto(fy)
    label = formatting.financial_year_label(fy)
    context.update(
        {
            "tail": selectors.tail_spend(fy, threshold * 100),
            "tail_url": tables.payments_url(fy=fy, tail=threshold),
            "shares": [
                (share, tables.payments_url(fy=fy, top=share.n))
                for share in (
                    selectors.top_suppliers_share(fy, n) for n in selectors.TOP_SUPPLIER_COUNTS
                )
            ],
            "top_table": top_table,
            "pareto": pareto,
            # Its ranks (10, 20, 50... every supplier) are not evenly spaced: each point is
            # drawn at its real share of the suppliers paid.
            "pareto_chart": charts.percent_xy_chart(
                chart_id=f"pareto-{fy}",
                title=f"Share of spend with the top suppliers, {label}",
                x_title="% of suppliers paid, largest first",
                y_title="Cumulative % of spend",
                points=[(0.0, 0)]
                + [(100 * p.suppliers / pareto[-1].suppliers, p.spend_share or 0) for p in pareto],
                summary="Each point is the top suppliers' share of the year's spend. The same "
                "figures are in the table below the chart.",
            ),
        }
    )
    return render(request, "spend/tail.html", context)


@role_required(*DASHBOARD_ROLES)
def payments(request: HttpRequest) -> HttpResponseBase:
    """The payments behind a figure: every dashboard figure links here with its filters."""
    payment_filter = PaymentFilter(request.GET)
    selected = payment_filter.selected
    table = tables.PaymentTable(payment_filter.qs)
    if export_format(request) == "csv":
        # Streamed from the table's own (sorted) query: the whole ledger may be asked for.
        # Not paginated, so no count of the rows runs before the first byte.
        RequestConfig(request, paginate=False).configure(table)
        return csv_copy_response(
            "payments.csv",
            selectors.PAYMENTS_EXPORT_HEADER,
            selectors.payments_export_query(table.data.data),
        )
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    if export_format(request) == "xlsx" and not payment_filter.refused:
        count = selectors.payments_total(selected).payments
        if count > exports.XLSX_MAX_ROWS:
            # Too many to build in a request: a job builds it; the reports centre has it.
            query = request.GET.copy()
            query.pop("_export", None)
            job = services.payments_spreadsheet_start(
                query=query.urlencode(), rows=count, user=signed_in_user(request)
            )
            messages.success(
                request,
                f"The spreadsheet of {count:,} payments is being built. It appears under "
                "Runs below, with a link to download it, when it is ready.",
            )
            return redirect(f"{reverse('reports:centre')}#job-{job.pk}")
    exported = table_export_response(request, table, "payments")
    if exported:
        return exported
    refused = payment_filter.refused
    supplier = (
        Supplier.objects.filter(pk=selected.supplier).first()
        if selected.supplier is not None and not refused
        else None
    )
    contract = None if refused else selectors.payments_contract(selected)
    return render(
        request,
        "spend/payments.html",
        {
            "filter": payment_filter,
            "table": table,
            "selected": selected,
            "supplier": supplier,
            "refused": refused,
            "chips": payment_filter.chips(contract),
            "totals": None if refused else selectors.payments_total(selected),
            "contract": contract,
            "breadcrumbs": _crumbs(("Spend", reverse("spend:overview")), ("Payments", None)),
        },
    )


# --- Spend over £500 (public) ---------------------------------------------------------------


@login_not_required
def transparency(request: HttpRequest) -> HttpResponse:
    """The spend-over-£500 files for anyone: by financial year, a file per month and one for
    the whole year, with months that have no file said so."""
    threshold_form = _threshold_form(
        request, "Smallest payment (£)", selectors.TRANSPARENCY_THRESHOLD_PENCE
    )
    threshold = threshold_form.pounds
    query = (
        ""
        if threshold * 100 == selectors.TRANSPARENCY_THRESHOLD_PENCE
        else f"?threshold={threshold}"
    )
    years = selectors.transparency_years(timezone.localdate(), threshold * 100)
    return render(
        request,
        "spend/transparency.html",
        {
            "threshold": threshold,
            "threshold_form": threshold_form,
            "query": query,
            "years": years,
            "xlsx_max_rows": exports.XLSX_MAX_ROWS,
            "breadcrumbs": [("Home", reverse("home:home")), ("Spend over £500", None)],
        },
    )


@login_not_required
def transparency_file(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    """One month's file in the Local Government Transparency Code layout (CSV)."""
    try:
        first = dt.date(year, month, 1)
    except ValueError:
        raise Http404("No such month.") from None
    threshold = _threshold_form(request, "", selectors.TRANSPARENCY_THRESHOLD_PENCE).pounds
    name = f"spend-over-{threshold}-{first:%Y-%m}.csv"
    return csv_copy_response(
        name, selectors.TRANSPARENCY_HEADER, selectors.transparency_query(first, threshold * 100)
    )


@login_not_required
def transparency_year_file(request: HttpRequest, fy: int, kind: str) -> HttpResponseBase:
    """A financial year's file (CSV streamed, or XLSX): its months' files in one."""
    if kind not in ("csv", "xlsx") or not 2000 <= fy <= 2100:
        raise Http404("No such file.")
    threshold = _threshold_form(request, "", selectors.TRANSPARENCY_THRESHOLD_PENCE).pounds
    name = f"spend-over-{threshold}-{formatting.financial_year_label(fy).replace('/', '-')}"
    if kind == "csv":
        return csv_copy_response(
            f"{name}.csv",
            selectors.TRANSPARENCY_HEADER,
            selectors.transparency_year_queries(fy, threshold * 100),
        )
    rows = selectors.transparency_year_rows(fy, threshold * 100)
    with_spend = set(selectors.transparency_months())
    count = sum(
        selectors.transparency_month_rows(m, threshold * 100)
        for m in selectors.fy_months(fy)
        if m in with_spend
    )
    # Refused rather than a job: the file is public, and the reports centre that keeps a
    # job's file is not. The page offers only the CSV for such a year; this is for old links.
    if count > exports.XLSX_MAX_ROWS:
        messages.error(
            request,
            f"The {formatting.financial_year_label(fy)} file has {count:,} rows, more than the "
            f"{exports.XLSX_MAX_ROWS:,} a spreadsheet download can hold. Download it as CSV "
            "(which opens in Excel), or download the year's months one by one.",
        )
        query = request.GET.urlencode()
        return redirect(reverse("spend:transparency") + (f"?{query}" if query else ""))
    return xlsx_response(
        f"{name}.xlsx", selectors.TRANSPARENCY_HEADER, rows, f"Spend {fy}-{(fy + 1) % 100:02d}"
    )


# --- Categories --------------------------------------------------------------------------------


@role_required(*STAFF)
def categories(request: HttpRequest) -> HttpResponse:
    """Account-code → category rules; administrators change them, which re-applies them to
    the ledger and rebuilds the summaries in a job."""
    can_edit = has_role(request.user, Role.ADMINISTRATOR)
    form = CategoryRuleForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only administrators can change category rules.")
        user = signed_in_user(request)
        delete = request.POST.get("delete")
        if delete:
            rule = get_object_or_404(CategoryRule, pk=delete)
            services.category_rule_delete(rule=rule)
            services.recategorise_start(user=user)
            messages.success(
                request, f"Rule {rule.account_prefix} removed. Payments are being re-categorised."
            )
            return redirect("spend:categories")
        if form.is_valid():
            services.category_rule_set(**form.cleaned_data)
            services.recategorise_start(user=user)
            messages.success(request, "Rule saved. Payments are being re-categorised.")
            return redirect("spend:categories")
    return render(
        request,
        "spend/categories.html",
        {
            "form": form,
            "can_edit": can_edit,
            "rules": selectors.category_rules(),
            "job": selectors.latest_recategorise_job(),
            "breadcrumbs": _crumbs(("Spend", reverse("spend:overview")), ("Categories", None)),
        },
    )
