"""Supplier data quality pages: duplicates and merges, supplier data, Companies House, views
by size band and head office. Thin: parse the request, call ``suppliers.quality`` or
``suppliers.selectors``, render ``templates/suppliers/quality/``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.forms import financial_year_param
from portal.models import Job
from portal.roles import READERS, STAFF, Role, role_required, signed_in_user
from spend.models import Supplier
from suppliers import quality, selectors
from suppliers.forms import (
    CompaniesHouseForm,
    MergeForm,
    NotSameForm,
    ReasonForm,
    SupplierFindForm,
    SupplierQualityForm,
)


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Home", reverse("home:home")),
        ("Supplier data quality", reverse("suppliers:quality")),
        *trail,
    ]


def _latest_job(kind: str) -> Job | None:
    return Job.objects.filter(kind=kind).order_by("-created_at", "-pk").first()


# --- Pages ---------------------------------------------------------------------------------------


@role_required(*READERS)
def home(request: HttpRequest) -> HttpResponse:
    find_form = SupplierFindForm(request.GET or None)
    query = find_form.cleaned_data["q"] if find_form.is_valid() else ""
    return render(
        request,
        "suppliers/quality/home.html",
        {
            "find_form": find_form,
            "query": query,
            "results": selectors.supplier_search(query) if query else None,
            "coverage": selectors.companies_house_coverage(),
            "candidates": selectors.duplicate_candidates().count(),
            "breadcrumbs": [("Home", reverse("home:home")), ("Supplier data quality", None)],
        },
    )


@role_required(*STAFF)
def duplicates(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        quality.duplicates_start(user=signed_in_user(request))
        messages.success(request, "Looking for duplicate suppliers. This page shows progress.")
        return redirect("suppliers:duplicates")
    page = Paginator(selectors.duplicate_candidates(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "suppliers/quality/duplicates.html",
        {
            "page": page,
            "job": _latest_job(quality.DUPLICATES_JOB_KIND),
            "found_at": selectors.duplicates_last_found(),
            "breadcrumbs": _crumbs(("Possible duplicates", None)),
        },
    )


@role_required(*STAFF)
def pair(request: HttpRequest, low: int, high: int) -> HttpResponse:
    """Compare two suppliers; merge one into the other (confirm page)."""
    first = get_object_or_404(Supplier, pk=low)
    second = get_object_or_404(Supplier, pk=high)
    form = MergeForm(request.POST or None, pair=(first, second))
    if request.method == "POST" and form.is_valid():
        survivor_pk = form.cleaned_data["survivor"]
        survivor, merged = (first, second) if survivor_pk == first.pk else (second, first)
        try:
            merge = quality.supplier_merge(
                survivor=survivor,
                merged=merged,
                user=signed_in_user(request),
                reason=form.cleaned_data["reason"],
            )
        except quality.QualityError as refusal:
            messages.error(request, str(refusal))
            return redirect("suppliers:duplicates")
        messages.success(
            request,
            f"{merge.merged_name} ({merge.merged_number}) was merged "
            f"into {survivor.name}. You can undo this from the merge "
            "history.",
        )
        return redirect("suppliers:merges")
    return render(
        request,
        "suppliers/quality/pair.html",
        {
            "form": form,
            "sides": [selectors.supplier_side(first), selectors.supplier_side(second)],
            "candidate": selectors.duplicate_candidate(low, high),
            "not_same_form": NotSameForm(auto_id="not-same-%s"),
            "breadcrumbs": _crumbs(
                ("Possible duplicates", reverse("suppliers:duplicates")),
                ("Compare two suppliers", None),
            ),
        },
    )


@require_POST
@role_required(*STAFF)
def not_same(request: HttpRequest, low: int, high: int) -> HttpResponse:
    first = get_object_or_404(Supplier, pk=low)
    second = get_object_or_404(Supplier, pk=high)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    quality.supplier_not_duplicate_mark(
        first=first, second=second, user=signed_in_user(request), reason=reason
    )
    messages.success(
        request,
        f"{first.name} and {second.name} are marked as not the same; "
        "they will not be offered as a pair again.",
    )
    return redirect("suppliers:duplicates")


@role_required(*STAFF)
def merges(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.supplier_merges(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "suppliers/quality/merges.html",
        {
            "page": page,
            "breadcrumbs": _crumbs(("Merge history", None)),
        },
    )


@role_required(*STAFF)
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(selectors.supplier_merges(), pk=pk)
    form = ReasonForm(request.POST or None)
    blocker = quality.merge_blocker(merge)
    if request.method == "POST" and form.is_valid() and not blocker:
        try:
            restored = quality.supplier_merge_undo(
                merge=merge, user=signed_in_user(request), reason=form.cleaned_data["reason"]
            )
        except quality.QualityError as refusal:
            messages.error(request, str(refusal))
            return redirect("suppliers:merges")
        messages.success(
            request,
            f"The merge was undone: {restored.name} "
            f"({restored.supplier_number}) is a supplier again.",
        )
        return redirect("suppliers:merges")
    survivor = Supplier.objects.filter(pk=merge.survivor_id).first()
    return render(
        request,
        "suppliers/quality/merge_undo.html",
        {
            "merge": merge,
            "survivor": survivor,
            "form": form,
            "blocker": blocker,
            "breadcrumbs": _crumbs(
                ("Merge history", reverse("suppliers:merges")), ("Undo a merge", None)
            ),
        },
    )


def _flag_initial(value: bool | None, set_by_officer: bool) -> str:
    if not set_by_officer:
        return "auto"
    return "yes" if value else "no"


@role_required(*STAFF)
def supplier(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a supplier's identifiers, size band override and SME/VCFS flags."""
    record = get_object_or_404(Supplier, pk=pk)
    initial = {
        "company_number": record.company_number,
        "vat_number": record.vat_number,
        "size_band_override": record.size_band_override,
        "sme": _flag_initial(record.is_sme, record.sme_set_by_officer),
        "vcfs": _flag_initial(record.is_vcfs, record.vcfs_set_by_officer),
    }
    form = SupplierQualityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        quality.supplier_quality_update(supplier=record, **form.cleaned_data)
        messages.success(request, f"The details of {record.name} were saved.")
        return redirect("suppliers:supplier", pk=record.pk)
    return render(
        request,
        "suppliers/quality/supplier.html",
        {
            "supplier": record,
            "form": form,
            "side": selectors.supplier_side(record),
            "breadcrumbs": _crumbs((record.name, None)),
        },
    )


@role_required(Role.ADMINISTRATOR)
def companies_house(request: HttpRequest) -> HttpResponse:
    form = CompaniesHouseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        user = signed_in_user(request)
        upload = form.cleaned_data["data_file"]
        try:
            ch_import = quality.companies_house_receive(
                source=upload, file_name=upload.name, user=user
            )
        except quality.QualityError as refusal:
            form.add_error("data_file", str(refusal))
        else:
            quality.companies_house_start(ch_import=ch_import, user=user)
            messages.success(request, f"{ch_import.file_name} is being matched to suppliers.")
            return redirect("suppliers:companies-house")
    return render(
        request,
        "suppliers/quality/companies_house.html",
        {
            "form": form,
            "imports": selectors.companies_house_imports()[:20],
            "coverage": selectors.companies_house_coverage(),
            "breadcrumbs": _crumbs(("Companies House data", None)),
        },
    )


def _fy(request: HttpRequest) -> tuple[int | None, list[int]]:
    years = selectors.summary_years()
    fy = financial_year_param(request)
    if fy is None:
        fy = years[0] if years else None
    return fy, years


@role_required(*READERS)
def size(request: HttpRequest) -> HttpResponse:
    fy, years = _fy(request)
    bands, sme, total = selectors.spend_by_size(fy) if fy is not None else ([], [], 0)
    return render(
        request,
        "suppliers/quality/size.html",
        {
            "fy": fy,
            "years": years,
            "bands": bands,
            "sme": sme,
            "total": total,
            "coverage": selectors.companies_house_coverage(),
            "breadcrumbs": _crumbs(("Spend by supplier size", None)),
        },
    )


@role_required(*READERS)
def locality(request: HttpRequest) -> HttpResponse:
    fy, years = _fy(request)
    rows, total = selectors.locality_by_head_office(fy) if fy is not None else ([], 0)
    return render(
        request,
        "suppliers/quality/locality.html",
        {
            "fy": fy,
            "years": years,
            "rows": rows,
            "total": total,
            "coverage": selectors.companies_house_coverage(),
            "breadcrumbs": _crumbs(("Locality by head office", None)),
        },
    )
