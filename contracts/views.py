"""Officers' contract register pages, award monitoring, forward plan and publications."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from contracts import publishing, selectors, services
from contracts.exports import SafeExportMixin
from contracts.filters import ContractFilter
from contracts.forms import ContractEndForm, ContractForm, ImportForm, PublishForm, SupplierForm
from contracts.models import AwardedSupplier, Contract, Publication
from contracts.quarters import fy_label, fy_of
from contracts.tables import AwardMonitoringTable, ContractTable, ForwardPlanTable
from portal.roles import READERS, STAFF, RoleRequiredMixin, has_role, role_required
from portal.services import job_start


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("Home", reverse("portal:home")), ("Contracts", reverse("contracts:list")), *items]


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
        return selectors.contracts_list()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = [("Home", reverse("portal:home")), ("Contracts", None)]
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


@role_required(*STAFF)
def contract_create(request: HttpRequest) -> HttpResponse:
    form = ContractForm(request.POST or None)
    supplier_form = SupplierForm(request.POST or None)
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
            "form": form,
            "supplier_form": supplier_form,
            "heading": "Add a contract",
            "button": "Add contract",
            "breadcrumbs": _crumbs(("Add a contract", None)),
        },
    )


@role_required(*READERS)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(Contract, pk=pk)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
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
            "button": "End contract",
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
    form = SupplierForm(request.POST or None, instance=supplier)
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
        services.supplier_remove(supplier=supplier, user=request.user)  # type: ignore[arg-type]
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, f"{supplier.name} removed.")
    return redirect("contracts:detail", pk=pk)


@role_required(*STAFF)
def register_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        path = services.import_upload_store(upload=upload)
        job = job_start(
            kind="contracts.import",
            title=f"Import contract register {upload.name}",
            params={"path": str(path), "name": upload.name},
            user=request.user,  # type: ignore[arg-type]
        )
        return redirect("portal:job-detail", pk=job.pk)
    return render(
        request,
        "contracts/import.html",
        {
            "form": form,
            "breadcrumbs": _crumbs(("Import", None)),
        },
    )


class AwardMonitoringView(RoleRequiredMixin, SafeExportMixin, SingleTableMixin, TemplateView):
    roles = READERS
    template_name = "contracts/awards.html"
    table_pagination = False

    def fy(self) -> int:
        try:
            return int(self.request.GET.get("fy", ""))
        except ValueError:
            return fy_of(timezone.localdate())

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

        data = [
            row("Total value awarded", [f"£{f.value_awarded:,.0f}" for f in figures]),
            row("Number of suppliers appointed", [str(f.suppliers) for f in figures]),
            row("% in home area", [pct(f.pct_home) for f in figures]),
            row("% rest of region", [pct(f.pct_region) for f in figures]),
            row("% elsewhere", [pct(f.pct_elsewhere) for f in figures]),
            row("of which postcode unknown", [str(f.unknown) for f in figures]),
            row("Number of SMEs", [str(f.sme) for f in figures]),
            row("Number of VCFS organisations", [str(f.vcfs) for f in figures]),
        ]
        table = AwardMonitoringTable(
            data, columns, f"Contract awards by month, {fy_label(report.fy)}"
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
            fy_label=fy_label(report.fy),
            years=[(year, fy_label(year)) for year in years],
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
