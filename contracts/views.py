"""Officers' contract register pages, award monitoring, forward plan and publications."""

import csv
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from contracts import publishing, selectors, services
from contracts.filters import ContractFilter
from contracts.forms import (
    REGISTER_MAPPABLE,
    AssessmentForm,
    ContractEndForm,
    ContractForm,
    FailureForm,
    ImportForm,
    KpiForm,
    LedgerSupplierFindForm,
    OffContractForm,
    PaymentLinkForm,
    PlannedProcurementForm,
    PublishForm,
    SupplierForm,
    register_mapping,
)
from contracts.models import (
    AwardedSupplier,
    Contract,
    ContractPaymentLink,
    KpiAssessment,
    Notice,
    PipelineNotice,
    Publication,
    RegisterUpload,
)
from contracts.notices import CSV_COLUMNS, notice_csv_row, notice_package
from contracts.tables import (
    AwardMonitoringTable,
    ContractTable,
    ForwardPlanTable,
    OffContractCategoryTable,
    OffContractTable,
)
from portal.exports import SafeExportMixin, neutralise
from portal.formatting import pounds
from portal.forms import financial_year_param
from portal.locality import place_names
from portal.models import User
from portal.periods import financial_year_label, financial_year_of
from portal.roles import (
    READERS,
    STAFF,
    RoleRequiredMixin,
    has_role,
    role_required,
    signed_in_user,
)
from portal.services import job_start
from spend import selectors as spend
from spend.forms import ColumnMappingForm
from spend.tables import payments_url


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("Home", reverse("home:home")), ("Contracts", reverse("contracts:list")), *items]


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _form_errors(form: BaseForm, problem: ValidationError) -> None:
    if hasattr(problem, "error_dict"):
        for name, errors in problem.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, problem)


class ContractListView(RoleRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    roles = READERS
    table_class = ContractTable
    filterset_class = ContractFilter
    template_name = "contracts/list.html"
    export_name = "contracts"

    def get_queryset(self) -> QuerySet[Contract]:
        return selectors.contracts_list(timezone.localdate())

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"today": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = [("Home", reverse("home:home")), ("Contracts", None)]
        context["can_edit"] = has_role(self.request.user, *STAFF)
        return context


@role_required(*READERS)
def register_export(request: HttpRequest) -> HttpResponse:
    """The whole register (registered contracts) in the import layout."""
    kind = request.GET.get("format", "csv")
    if kind not in {"csv", "xlsx"}:
        return HttpResponseBadRequest("Choose format=csv or format=xlsx.")
    content, content_type = publishing.live_register_file(kind)
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="contract-register-{stamp}.{kind}"'
    return response


def _ledger_picker(request: HttpRequest) -> dict[str, Any]:
    """The awarded-supplier picker: a search of the ledger's suppliers (GET), their radios,
    and the chosen one's fields as the supplier form's starting values. Plain forms, so it
    works without JavaScript; the fields stay editable for a supplier not yet paid."""
    find_form = LedgerSupplierFindForm(request.GET or None)
    text = find_form.cleaned_data["find"] if find_form.is_valid() else ""
    chosen: dict[str, Any] | None = None
    try:
        chosen_id = int(request.GET.get("ledger_supplier", ""))
    except ValueError:
        chosen_id = None
    if chosen_id is not None:
        chosen = selectors.awarded_supplier_from_ledger(chosen_id)
    return {
        "find_form": find_form,
        "find_text": text,
        "found": selectors.ledger_supplier_search(text) if text else [],
        "chosen": chosen,
    }


@role_required(*STAFF)
def contract_create(request: HttpRequest) -> HttpResponse:
    picker = _ledger_picker(request)
    form = ContractForm(request.POST or None)
    supplier_form = SupplierForm(request.POST or None, initial=picker["chosen"])
    if request.method == "POST" and form.is_valid() and supplier_form.is_valid():
        data = dict(form.cleaned_data)
        reference = data.pop("reference")
        draft = data.pop("status") == Contract.Status.DRAFT
        data.pop("reprocurement_started", None)
        try:
            contract = services.contract_create(
                reference=reference,
                contract=data,
                supplier=dict(supplier_form.cleaned_data),
                user=request.user,  # type: ignore[arg-type]
                draft=draft,
            )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, f"Contract {contract.reference} added.")
            return redirect(contract)
    return render(
        request,
        "contracts/form.html",
        {
            **picker,
            "form": form,
            "supplier_form": supplier_form,
            "heading": "Add a contract",
            "button": "Add contract",
            "breadcrumbs": _crumbs(("Add a contract", None)),
        },
    )


@role_required(*READERS)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_for_page(pk)
    if contract is None:
        raise Http404("No such contract.")
    today = timezone.localdate()
    with selectors.one_register_version():
        spend_figures = selectors.contract_spend(contract, today=today)
        changes = selectors.change_history(contract, today=today, spend=spend_figures)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "live_status": selectors.contract_live_status(contract, today),
            "spend": spend_figures,
            "changes": changes,
            "notices": selectors.contract_notices(contract),
            "performance": selectors.contract_performance(contract),
            "links": selectors.contract_payment_links(contract, spend_figures),
            "link_form": PaymentLinkForm(),
            "payments_url": payments_url(contract=contract.pk),
            "today": today,
            "tables_seconds": selectors.CACHE_SECONDS,
            "suppliers": selectors.contract_suppliers(contract),
            "can_edit": has_role(request.user, *STAFF),
            "breadcrumbs": _crumbs((contract.reference, None)),
        },
    )


@role_required(*STAFF)
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(
                contract=contract,
                data=dict(form.cleaned_data),
                user=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, f"Contract {contract.reference} saved.")
            return redirect(contract)
    return render(
        request,
        "contracts/form.html",
        {
            "form": form,
            "heading": f"Change {contract.reference}",
            "button": "Save changes",
            "breadcrumbs": _crumbs(
                (contract.reference, contract.get_absolute_url()), ("Change", None)
            ),
        },
    )


@role_required(*STAFF)
def contract_end(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    form = ContractEndForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_end(
                contract=contract,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
                user=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, f"Contract {contract.reference} ended.")
            return redirect(contract)
    return render(
        request,
        "contracts/form.html",
        {
            "form": form,
            "heading": f"End {contract.reference} early",
            "intro": f"{contract.title}. Ending it early shows it as ended early on the "
            "register from the next publication, and stops its spend projection. This cannot "
            "be undone here.",
            "button": "End contract",
            "button_warning": True,
            "cancel_url": contract.get_absolute_url(),
            "breadcrumbs": _crumbs(
                (contract.reference, contract.get_absolute_url()), ("End", None)
            ),
        },
    )


@role_required(*STAFF)
def supplier_edit(request: HttpRequest, pk: int, supplier_pk: int | None = None) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    supplier = (
        get_object_or_404(AwardedSupplier, pk=supplier_pk, contract=contract)
        if supplier_pk
        else None
    )
    picker = _ledger_picker(request) if supplier is None else {}
    form = SupplierForm(request.POST or None, instance=supplier, initial=picker.get("chosen"))
    if request.method == "POST" and form.is_valid():
        try:
            if supplier is None:
                services.supplier_add(
                    contract=contract,
                    supplier=dict(form.cleaned_data),
                    user=request.user,  # type: ignore[arg-type]
                )
            else:
                services.supplier_update(
                    supplier=supplier,
                    data=dict(form.cleaned_data),
                    user=request.user,  # type: ignore[arg-type]
                )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, "Supplier saved.")
            return redirect(contract)
    heading = f"Change {supplier.name}" if supplier else f"Add a supplier to {contract.reference}"
    return render(
        request,
        "contracts/form.html",
        {
            **picker,
            "form": form,
            "heading": heading,
            "button": "Save supplier",
            "breadcrumbs": _crumbs(
                (contract.reference, contract.get_absolute_url()), ("Supplier", None)
            ),
        },
    )


@require_POST
@role_required(*STAFF)
def supplier_remove(request: HttpRequest, pk: int, supplier_pk: int) -> HttpResponse:
    supplier = get_object_or_404(AwardedSupplier, pk=supplier_pk, contract_id=pk)
    try:
        services.supplier_remove(supplier=supplier, user=_user(request))
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, f"{supplier.name} removed.")
    return redirect("contracts:detail", pk=pk)


@require_POST
@role_required(*STAFF)
def payment_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link an invoice's payments to the contract (the officer's rule outranks the others)."""
    contract = get_object_or_404(Contract, pk=pk)
    form = PaymentLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the invoice number of the payments to link.")
        return redirect(f"{contract.get_absolute_url()}#link-payments")
    try:
        count = services.payments_link_by_invoice(
            contract=contract,
            invoice_number=form.cleaned_data["invoice_number"],
            reason=form.cleaned_data["reason"],
            user=_user(request),
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect(f"{contract.get_absolute_url()}#link-payments")
    invoice = form.cleaned_data["invoice_number"]
    messages.success(request, f"{count} payment{'s' if count != 1 else ''} of {invoice} linked.")
    return redirect(f"{contract.get_absolute_url()}#spend")


@require_POST
@role_required(*STAFF)
def payment_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = get_object_or_404(ContractPaymentLink, pk=link_pk, contract_id=pk)
    services.payment_unlink(link=link, user=_user(request))
    messages.success(request, "Link removed: the payment is matched by the other rules again.")
    return redirect(f"{reverse('contracts:detail', args=[pk])}#spend")


class OffContractView(RoleRequiredMixin, SafeExportMixin, SingleTableMixin, TemplateView):
    """Suppliers paid over the threshold in a year with no contract behind the payments."""

    roles = READERS
    template_name = "contracts/off_contract.html"
    table_pagination = {"per_page": 50}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with selectors.one_register_version():  # the years, categories and figures agree
            return super().get(request, *args, **kwargs)

    def choices(self) -> dict[str, Any]:
        if not hasattr(self, "_choices"):
            years = list(reversed(spend.financial_years()))
            form = OffContractForm(
                self.request.GET or None,
                years=[(y, financial_year_label(y)) for y in years],
                categories=[(c.pk, c.name) for c in spend.categories()],
                initial={
                    "fy": years[0] if years else None,
                    "threshold": Decimal(selectors.OFF_CONTRACT_THRESHOLD_PENCE) / 100,
                },
            )
            found = None
            if years and (not form.is_bound or form.is_valid()):
                data = form.cleaned_data if form.is_bound else {}
                fy = data.get("fy", years[0])
                threshold = data.get("threshold")
                if threshold is None:
                    threshold = Decimal(selectors.OFF_CONTRACT_THRESHOLD_PENCE) / 100
                found = selectors.spend_without_contract(
                    fy=fy,
                    threshold_pence=int((threshold * 100).to_integral_value()),
                    category=data.get("category"),
                )
            self._choices = {"form": form, "found": found, "has_years": bool(years)}
        return self._choices

    def get_export_filename(self, export_format: str) -> str:
        found = self.choices()["found"]
        fy = found.fy if found else "none"
        return f"spend-without-a-contract-{fy}.{export_format}"

    def can_create(self) -> bool:
        return has_role(self.request.user, *STAFF)

    def get_table(self, **kwargs: Any) -> OffContractTable:
        found = self.choices()["found"]
        table = OffContractTable(found, can_create=self.can_create())
        RequestConfig(self.request, paginate=self.get_table_pagination(table)).configure(table)
        table.caption = (
            f"Suppliers paid {pounds(found.threshold_pence)} or more in "
            f"{financial_year_label(found.fy)} "
            "with no contract behind the payments"
            if found
            else "Suppliers with no contract behind the payments"
        )
        return table

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        choices = self.choices()
        found = choices["found"]
        categories = None
        if found is not None:
            categories = OffContractCategoryTable(
                [{"category": c.name, "spend_pence": c.spend_pence} for c in found.by_category]
            )
            categories.caption = "The same spend by category"
        context.update(
            choices,
            fy_label=financial_year_label(found.fy) if found else "",
            categories=categories,
            can_create=self.can_create(),
            tables_seconds=selectors.CACHE_SECONDS,
            breadcrumbs=_crumbs(("Spend with no contract", None)),
        )
        return context


@role_required(*STAFF)
def register_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = services.register_upload_start(
            upload=form.cleaned_data["file"],
            user=signed_in_user(request),
        )
        assert upload.job is not None
        return redirect("portal:job-detail", pk=upload.job.pk)
    return render(
        request,
        "contracts/import.html",
        {
            "form": form,
            "kept": selectors.register_uploads_kept(),
            "breadcrumbs": _crumbs(("Import", None)),
        },
    )


@require_POST
@role_required(*STAFF)
def register_upload_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run a kept upload's import again, or discard it."""
    upload = get_object_or_404(RegisterUpload, pk=pk)
    if action not in {"retry", "discard"}:
        raise Http404("No such action.")
    try:
        if action == "retry":
            upload = services.register_upload_retry(upload=upload, user=signed_in_user(request))
            assert upload.job is not None
            return redirect("portal:job-detail", pk=upload.job.pk)
        services.register_upload_discard(upload=upload, user=signed_in_user(request))
        messages.success(request, f"{upload.file_name} discarded.")
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    return redirect("contracts:import")


@role_required(*STAFF)
def register_upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """What an import did: counts, what was skipped and why, drafts to complete, notes."""
    upload = get_object_or_404(RegisterUpload, pk=pk)
    flagged = selectors.register_import_drafts(upload)
    return render(
        request,
        "contracts/import_detail.html",
        {
            "upload": upload,
            "result": upload.result,
            "drafts": flagged,
            "breadcrumbs": _crumbs(
                ("Import", reverse("contracts:import")), (upload.file_name, None)
            ),
        },
    )


@role_required(*STAFF)
def register_upload_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Say which column holds what, for a register file in the council's own headings (the
    spend uploads' mapping form and page)."""

    upload = get_object_or_404(RegisterUpload, pk=pk)
    headings = selectors.register_upload_headings(upload)
    form = ColumnMappingForm(request.POST or None, headings=headings, fields=REGISTER_MAPPABLE)
    if request.method == "POST" and form.is_valid():
        upload = services.register_mapping_save(
            upload=upload,
            name=form.cleaned_data["name"],
            mapping=register_mapping(form.mapping()),
            user=signed_in_user(request),
        )
        messages.success(request, f"Mapping saved. {upload.file_name} is being imported again.")
        assert upload.job is not None
        return redirect("portal:job-detail", pk=upload.job.pk)
    return render(
        request,
        "spend/import_mapping.html",
        {
            "batch": upload,
            "form": form,
            "headings": headings,
            "file_kind": "contract register",
            "breadcrumbs": _crumbs(
                ("Import", reverse("contracts:import")), (upload.file_name, None)
            ),
        },
    )


class AwardMonitoringView(RoleRequiredMixin, SafeExportMixin, SingleTableMixin, TemplateView):
    roles = READERS
    template_name = "contracts/awards.html"
    table_pagination = False

    def fy(self) -> int:
        fy = financial_year_param(self.request)
        return financial_year_of(timezone.localdate()) if fy is None else fy

    def get_export_filename(self, export_format: str) -> str:
        return f"award-monitoring-{self.fy()}.{export_format}"

    def report(self) -> selectors.AwardMonitoring:
        if not hasattr(self, "_report"):
            self._report = selectors.award_monitoring(self.fy())
        return self._report

    def get_table(self, **kwargs: Any) -> AwardMonitoringTable:
        report = self.report()
        columns = [
            (f"m{i}", f"{m.month:%b-%y}{m.marker}") for i, m in enumerate(report.months) if m.month
        ]
        columns.append(("year", "Year"))
        figures = [*report.months, report.year]

        def row(label: str, values: list[str]) -> dict[str, str]:
            keys = [key for key, _ in columns]
            return {"measure": label, **dict(zip(keys, values, strict=True))}

        def pct(value: int | None) -> str:
            return "-" if value is None else f"{value}%"

        names = place_names()

        data = [
            row("Total value awarded", [f"£{f.value_awarded:,.0f}" for f in figures]),
            row("Number of suppliers appointed", [str(f.suppliers) for f in figures]),
            # Unknown postcodes apart from the rest of the UK, in the council's own names.
            row(f"% with {names['home_address']}", [pct(f.pct_home) for f in figures]),
            row(f"% rest of {names['region']}", [pct(f.pct_region) for f in figures]),
            row("% elsewhere in the UK", [pct(f.pct_rest_of_uk) for f in figures]),
            row("% postcode unknown", [pct(f.pct_unknown) for f in figures]),
            row("Number with postcode unknown", [str(f.unknown) for f in figures]),
            row("Number of SMEs", [str(f.sme) for f in figures]),
            row("Number of VCFS organisations", [str(f.vcfs) for f in figures]),
        ]
        table = AwardMonitoringTable(
            data, columns, f"Contract awards by month, {financial_year_label(report.fy)}"
        )
        return table

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.report()
        years = selectors.award_years()
        if report.fy not in years:
            years = sorted({*years, report.fy}, reverse=True)
        context.update(
            report=report,
            fy=report.fy,
            fy_label=financial_year_label(report.fy),
            years=years,
            names=place_names(),
            breadcrumbs=_crumbs(("Award monitoring", None)),
        )
        return context


class ForwardPlanView(RoleRequiredMixin, SafeExportMixin, SingleTableMixin, TemplateView):
    roles = READERS
    template_name = "contracts/forward_plan.html"
    table_class = ForwardPlanTable
    table_pagination = False
    export_name = "forward-plan"

    def get_table_data(self) -> QuerySet[Contract]:
        return selectors.forward_plan_contracts(timezone.localdate())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            quarters=selectors.forward_plan(timezone.localdate()),
            breadcrumbs=_crumbs(("Forward plan", None)),
        )
        return context


@role_required(*READERS)
def publications(request: HttpRequest) -> HttpResponse:
    can_publish = has_role(request.user, *STAFF)
    form = PublishForm(request.POST or None)
    if request.method == "POST":
        if not can_publish:
            return HttpResponse(status=403)
        if form.is_valid():
            quarter = form.cleaned_data["quarter"]
            job = job_start(
                kind="contracts.publish",
                title=f"Publish contract register {quarter}",
                params={"quarter": quarter},
                user=request.user,  # type: ignore[arg-type]
            )
            return redirect("portal:job-detail", pk=job.pk)
    return render(
        request,
        "contracts/publications.html",
        {
            "form": form,
            "can_publish": can_publish,
            "publications": Publication.objects.all()[:40],
            "breadcrumbs": _crumbs(("Publications", None)),
        },
    )


# ---------------------------------------------------------------------------------------------
# Procurement Act notices and the statutory calendar


@role_required(*READERS)
def notices_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "contracts/notices_calendar.html",
        {
            "due": selectors.notices_due(today),
            "published": selectors.notices_published(),
            "today": today,
            "can_edit": has_role(request.user, *STAFF),
            "council_ppon": settings.COUNCIL_PPON,
            "breadcrumbs": _crumbs(("Notices", None)),
        },
    )


@role_required(*STAFF)
@require_POST
def notice_draft(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    if kind not in Notice.Kind.values:
        raise Http404
    change = None
    if kind == Notice.Kind.CHANGE:
        change = get_object_or_404(contract.changes, pk=request.POST.get("change") or 0)
    try:
        notice = services.notice_draft(
            contract=contract,
            kind=kind,
            change=change,
            user=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("contracts:notices")
    return redirect(notice)


@role_required(*READERS)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("contract", "change"), pk=pk)
    return render(
        request,
        "contracts/notice.html",
        {
            "notice": notice,
            "fields": selectors.notice_fields(notice, today=timezone.localdate()),
            "can_edit": has_role(request.user, *STAFF),
            "public": False,
            "breadcrumbs": _crumbs(
                ("Notices", reverse("contracts:notices")),
                (notice.get_kind_display(), None),
            ),
        },
    )


@role_required(*STAFF)
@require_POST
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk)
    try:
        services.notice_publish(notice=notice, user=request.user)  # type: ignore[arg-type]
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, f"{notice.get_kind_display()} published.")
    return redirect(notice)


@role_required(*READERS)
def notice_ocds(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk, status=Notice.Status.PUBLISHED)
    return notice_ocds_response(notice)


@role_required(*READERS)
def notice_csv(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk, status=Notice.Status.PUBLISHED)
    return notice_csv_response(notice)


def notice_csv_response(notice: Notice) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="notice-{notice.kind}-{notice.pk}.csv"'
    writer = csv.DictWriter(response, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    row = notice_csv_row(notice, notice.release)
    writer.writerow({key: neutralise(value) for key, value in row.items()})
    return response


def notice_ocds_response(notice: Notice) -> HttpResponse:
    response = JsonResponse(notice_package(notice), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="notice-{notice.kind}-{notice.pk}.json"'
    )
    return response


def _performance_form(
    request: HttpRequest, contract: Contract, form: BaseForm, heading: str, save: Any
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(dict(form.cleaned_data))
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, f"{heading} saved.")
            return redirect(reverse("contracts:detail", args=[contract.pk]) + "#performance")
    return render(
        request,
        "contracts/form.html",
        {
            "form": form,
            "heading": f"{heading}: {contract.reference}",
            "button": "Save",
            "breadcrumbs": _crumbs(
                (contract.reference, contract.get_absolute_url()), (heading, None)
            ),
        },
    )


@role_required(*STAFF)
def kpi_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    return _performance_form(
        request,
        contract,
        KpiForm(request.POST or None),
        "Add a KPI",
        lambda data: services.kpi_add(contract=contract, **data),
    )


@role_required(*STAFF)
def assessment_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    user = request.user
    return _performance_form(
        request,
        contract,
        AssessmentForm(request.POST or None, contract=contract),
        "Assess a KPI",
        lambda data: services.assessment_enter(user=user, **data),  # type: ignore[arg-type]
    )


@role_required(*STAFF)
def failure_add(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    user = request.user
    return _performance_form(
        request,
        contract,
        FailureForm(request.POST or None),
        "Record a breach or failure to perform",
        lambda data: services.failure_record(contract=contract, data=data, user=user),  # type: ignore[arg-type]
    )


@role_required(*STAFF)
@require_POST
def assessment_verify(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(KpiAssessment.objects.select_related("kpi"), pk=pk)
    services.assessment_verify(assessment=assessment, user=request.user)  # type: ignore[arg-type]
    messages.success(request, "Assessment verified.")
    return redirect(reverse("contracts:detail", args=[assessment.kpi.contract_id]) + "#performance")


@role_required(*READERS)
def pipeline(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        fy = int(request.GET.get("fy") or financial_year_of(today))
    except ValueError:
        return HttpResponseBadRequest("The year must be a number, for example 2026.")
    return render(
        request,
        "contracts/pipeline.html",
        {
            "plan": selectors.pipeline(fy, today=today),
            "notice": PipelineNotice.objects.filter(fy=fy).first(),
            "fy_label": financial_year_label(fy),
            "can_edit": has_role(request.user, *STAFF),
            "breadcrumbs": _crumbs(("Notices", reverse("contracts:notices")), ("Pipeline", None)),
        },
    )


@role_required(*STAFF)
def planned_add(request: HttpRequest) -> HttpResponse:
    form = PlannedProcurementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.planned_procurement_add(
                data=dict(form.cleaned_data),
                user=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as problem:
            _form_errors(form, problem)
        else:
            messages.success(request, "Planned procurement saved.")
            return redirect("contracts:pipeline")
    return render(
        request,
        "contracts/form.html",
        {
            "form": form,
            "heading": "Add a planned procurement",
            "button": "Save",
            "breadcrumbs": _crumbs(("Pipeline", reverse("contracts:pipeline")), ("Add", None)),
        },
    )


@role_required(*STAFF)
@require_POST
def pipeline_publish(request: HttpRequest, fy: int) -> HttpResponse:
    try:
        services.pipeline_publish(fy=fy, user=request.user)  # type: ignore[arg-type]
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, f"Pipeline notice for {financial_year_label(fy)} published.")
    return redirect(reverse("contracts:pipeline") + f"?fy={fy}")


@role_required(*READERS)
def pipeline_ocds(request: HttpRequest, fy: int) -> HttpResponse:
    notice = get_object_or_404(PipelineNotice, fy=fy, status=PipelineNotice.Status.PUBLISHED)
    response = JsonResponse(notice.package, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="pipeline-notice-{fy}.json"'
    return response
