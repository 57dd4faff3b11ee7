"""Supplier data quality pages: duplicates and merges, supplier data, Companies House, views
by size band and head office. Thin: parse the request, call ``spend.quality`` or
``spend.selectors_quality``, render ``templates/spend/quality/``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.forms import UploadField, financial_year_param
from portal.models import Job
from portal.roles import READERS, STAFF, Role, role_required, signed_in_user
from spend import quality
from spend import selectors_quality as selectors
from spend.models import SizeBand, Supplier

TEXT = {"class": "govuk-input"}
TEXTAREA = {"class": "govuk-textarea", "rows": "3"}


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Home", reverse("home:home")),
        ("Supplier data quality", reverse("spend:quality")),
        *trail,
    ]


def _latest_job(kind: str) -> Job | None:
    return Job.objects.filter(kind=kind).order_by("-created_at", "-pk").first()


# --- Forms ---------------------------------------------------------------------------------------


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(
        label="Which supplier should remain?", coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Why are they the same organisation?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def __init__(self, *args: Any, pair: tuple[Supplier, Supplier], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survivor = self.fields["survivor"]
        assert isinstance(survivor, forms.ChoiceField)
        survivor.choices = [(s.pk, f"{s.name} ({s.supplier_number})") for s in pair]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", required=False, max_length=2000, widget=forms.Textarea(attrs=TEXTAREA)
    )


class NotSameForm(ReasonForm):
    """The reason two suppliers are not the same (optional; beside the merge form's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = "Reason (optional)"


FLAG_CHOICES = [("auto", "Work it out from Companies House data"), ("yes", "Yes"), ("no", "No")]


class SupplierQualityForm(forms.Form):
    company_number = forms.CharField(
        label="Company number",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={**TEXT, "class": "govuk-input govuk-input--width-10"}),
    )
    vat_number = forms.CharField(
        label="VAT registration number",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={**TEXT, "class": "govuk-input govuk-input--width-20"}),
    )
    size_band_override = forms.ChoiceField(
        label="Size band",
        choices=[
            ("", "Use the band Companies House accounts imply"),
            *[(b.value, b.label) for b in SizeBand],
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    sme = forms.ChoiceField(
        label="SME (small or medium-sized enterprise)",
        choices=FLAG_CHOICES,
        widget=forms.RadioSelect,
    )
    vcfs = forms.ChoiceField(
        label="VCFS (voluntary, community or faith sector)",
        choices=FLAG_CHOICES,
        widget=forms.RadioSelect,
    )


class CompaniesHouseForm(forms.Form):
    data_file = UploadField(
        label="Companies House company data file",
        help_text="BasicCompanyDataAsOneFile from Companies House's free company data product, "
        "as the zip it comes in or the CSV inside it.",
        widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".csv,.zip"}
        ),
    )


class SupplierFindForm(forms.Form):
    q = forms.CharField(
        label="Name, supplier number or company number",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "id": "supplier-query", "class": "govuk-input--width-20"}
        ),
    )


# --- Pages ---------------------------------------------------------------------------------------


@role_required(*READERS)
def home(request: HttpRequest) -> HttpResponse:
    find_form = SupplierFindForm(request.GET or None)
    query = find_form.cleaned_data["q"] if find_form.is_valid() else ""
    return render(
        request,
        "spend/quality/home.html",
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
        return redirect("spend:quality-duplicates")
    page = Paginator(selectors.duplicate_candidates(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "spend/quality/duplicates.html",
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
            return redirect("spend:quality-duplicates")
        messages.success(
            request,
            f"{merge.merged_name} ({merge.merged_number}) was merged "
            f"into {survivor.name}. You can undo this from the merge "
            "history.",
        )
        return redirect("spend:quality-merges")
    return render(
        request,
        "spend/quality/pair.html",
        {
            "form": form,
            "sides": [selectors.supplier_side(first), selectors.supplier_side(second)],
            "candidate": selectors.duplicate_candidate(low, high),
            "not_same_form": NotSameForm(auto_id="not-same-%s"),
            "breadcrumbs": _crumbs(
                ("Possible duplicates", reverse("spend:quality-duplicates")),
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
    return redirect("spend:quality-duplicates")


@role_required(*STAFF)
def merges(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.supplier_merges(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "spend/quality/merges.html",
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
            return redirect("spend:quality-merges")
        messages.success(
            request,
            f"The merge was undone: {restored.name} "
            f"({restored.supplier_number}) is a supplier again.",
        )
        return redirect("spend:quality-merges")
    survivor = Supplier.objects.filter(pk=merge.survivor_id).first()
    return render(
        request,
        "spend/quality/merge_undo.html",
        {
            "merge": merge,
            "survivor": survivor,
            "form": form,
            "blocker": blocker,
            "breadcrumbs": _crumbs(
                ("Merge history", reverse("spend:quality-merges")), ("Undo a merge", None)
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
        return redirect("spend:quality-supplier", pk=record.pk)
    return render(
        request,
        "spend/quality/supplier.html",
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
            return redirect("spend:quality-companies-house")
    return render(
        request,
        "spend/quality/companies_house.html",
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
        "spend/quality/size.html",
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
        "spend/quality/locality.html",
        {
            "fy": fy,
            "years": years,
            "rows": rows,
            "total": total,
            "coverage": selectors.companies_house_coverage(),
            "breadcrumbs": _crumbs(("Locality by head office", None)),
        },
    )
