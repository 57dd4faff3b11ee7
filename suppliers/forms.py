"""Supplier data quality's forms: merge, not the same, a supplier's data, Companies House file."""

from __future__ import annotations

from typing import Any

from django import forms

from portal.forms import UploadField
from spend.models import SizeBand, Supplier

TEXT = {"class": "govuk-input"}
TEXTAREA = {"class": "govuk-textarea", "rows": "3"}


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
