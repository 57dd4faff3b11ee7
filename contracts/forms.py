from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from contracts import layout
from contracts.models import (
    AwardedSupplier,
    Contract,
    Kpi,
    KpiAssessment,
    PerformanceFailure,
    PlannedProcurement,
)
from portal.forms import GovukDateField, UploadField, govuk_formfield
from portal.periods import Quarter
from portal.suppliers import clean_company_number

INPUT = {"class": "govuk-input"}
SELECT = {"class": "govuk-select"}
NARROW = {"class": "govuk-input govuk-input--width-10"}
YES_NO = [("True", "Yes"), ("False", "No")]
# Yes/no questions are radios (GOV.UK), "Not known" where the register may not know.
YES_NO_UNKNOWN = [("True", "Yes"), ("False", "No"), ("", "Not known")]


def _yes_no_unknown() -> forms.RadioSelect:
    return forms.RadioSelect(choices=YES_NO_UNKNOWN)


def _yes_no(label: str, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda v: v == "True",
        widget=forms.RadioSelect,
        required=False,
        empty_value=False,  # type: ignore[arg-type]
    )


def _clean_with(clean: Any, value: Any) -> Any:
    try:
        return clean(value or "")
    except ValueError as problem:
        raise forms.ValidationError(layout.sentence(problem)) from None


REQUIRED_MESSAGES = {
    "reference": "Enter a reference",
    "title": "Enter the contract's title",
    "department": "Enter the department that manages the contract",
    "award_date": "Enter the date the contract was awarded",
    "start_date": "Enter the date the contract starts",
    "end_date": "Enter the date the contract ends",
    "awarded_value": "Enter the contract's value in pounds, like 12500",
}


class ContractForm(forms.ModelForm):
    framework = _yes_no("Framework")
    reprocurement_started = _yes_no(
        "Re-procurement started", "Has work to replace this contract begun? (Forward plan)"
    )

    change_ground = forms.CharField(
        label="Ground for changing the value or end date",
        help_text="Only when the value or end date changes: why the contract may be changed, "
        "for example the Schedule 8 paragraph.",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs=INPUT),
    )

    class Meta:
        model = Contract
        formfield_callback = govuk_formfield
        fields = [
            "reference",
            "title",
            "description",
            "department",
            "category",
            "procurement_route",
            "cpv_code",
            "award_date",
            "start_date",
            "end_date",
            "review_date",
            "procurement_start_date",
            "awarded_value",
            "awarded_value_gross",
            "vat_not_recoverable",
            "regime",
            "main_category",
            "framework",
            "reprocurement_started",
            "status",
        ]
        labels = {
            "awarded_value": "Awarded value (£)",
            "awarded_value_gross": "Awarded value including VAT (£)",
            "regime": "Procurement law",
            "vat_not_recoverable": "VAT not recoverable (£)",
        }
        help_texts = {
            "cpv_code": "8 digits, for example 85000000.",
            "awarded_value": "The whole contract's value in pounds, VAT excluded.",
            "status": "Drafts are never published.",
            "award_date": "Decides the month in award monitoring.",
            "procurement_start_date": "Payments over £30,000 are published for contracts "
            "procured from 1 April 2026 (Procurement Act 2023 section 70).",
        }
        widgets = {
            "reference": forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
            "title": forms.TextInput(attrs=INPUT),
            "description": forms.Textarea(attrs={"class": "govuk-textarea", "rows": 4}),
            "department": forms.TextInput(attrs=INPUT),
            "category": forms.Select(attrs=SELECT),
            "procurement_route": forms.Select(attrs=SELECT),
            "cpv_code": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "numeric"}
            ),
            "awarded_value": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}
            ),
            "vat_not_recoverable": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}
            ),
            "awarded_value_gross": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}
            ),
            "regime": forms.Select(attrs=SELECT),
            "main_category": forms.Select(attrs=SELECT),
            "status": forms.Select(attrs=SELECT),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["end_date"].required = True
        # GOV.UK messages: what to enter, in the council's words.
        for name, message in REQUIRED_MESSAGES.items():
            self.fields[name].error_messages["required"] = message
        self.fields["awarded_value"].error_messages["invalid"] = (
            "Enter the contract's value in pounds, like 12500"
        )
        if self.instance.pk:
            del self.fields["reference"]
        else:
            del self.fields["change_ground"]
            # A new contract is a draft until the officer registers it: nothing half-typed
            # reaches the published register.
            self.initial.setdefault("status", Contract.Status.DRAFT)

    def clean_cpv_code(self) -> str:
        return str(_clean_with(layout.clean_cpv, self.cleaned_data.get("cpv_code")))

    def clean_awarded_value(self) -> Any:
        value = self.cleaned_data.get("awarded_value")
        if value is not None and value <= 0:
            raise forms.ValidationError("The value must be more than £0.")
        return value

    def clean_vat_not_recoverable(self) -> Any:
        value = self.cleaned_data.get("vat_not_recoverable")
        if value is not None and value < 0:
            raise forms.ValidationError("The VAT not recoverable cannot be negative.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("award_date", "start_date", "end_date", "review_date"):
            day = data.get(name)
            if day is not None:
                try:
                    layout.check_contract_year(day)
                except ValueError as problem:
                    self.add_error(name, layout.sentence(problem))  # drops it from data
        start, end, award = data.get("start_date"), data.get("end_date"), data.get("award_date")
        if start and end and end <= start:
            self.add_error("end_date", "The end date must be after the start date.")
        if award and end:
            try:
                layout.check_award_date(award, end)
            except ValueError as problem:
                self.add_error("award_date", layout.sentence(problem))
        return data

    def _post_clean(self) -> None:
        # The service saves; skip ModelForm's instance validation (unique checks etc.).
        pass


class SupplierForm(forms.ModelForm):
    class Meta:
        model = AwardedSupplier
        fields = [
            "name",
            "supplier_number",
            "company_number",
            "charity_number",
            "postcode",
            "sme",
            "vcfs",
            "ppon",
            "email",
            "address",
            "supported_employment",
            "public_service_mutual",
        ]
        labels = {"postcode": "Supplier postcode"}
        help_texts = {
            "postcode": "The address the supplier gave in its tender: decides award locality.",
            "company_number": "Companies House number, for example 01234567 or SC123456.",
            "supplier_number": "The supplier's number in the finance system.",
        }
        widgets = {
            "name": forms.TextInput(attrs=INPUT),
            "supplier_number": forms.TextInput(attrs=NARROW),
            "company_number": forms.TextInput(attrs=NARROW),
            "charity_number": forms.TextInput(attrs=NARROW),
            "postcode": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "autocomplete": "off"}
            ),
            "sme": _yes_no_unknown(),
            "vcfs": _yes_no_unknown(),
            "ppon": forms.TextInput(attrs=NARROW),
            "email": forms.EmailInput(attrs=INPUT),
            "address": forms.TextInput(attrs=INPUT),
            "supported_employment": _yes_no_unknown(),
            "public_service_mutual": _yes_no_unknown(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "supplier")
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Supplier name"

    def clean_company_number(self) -> str:
        return str(_clean_with(clean_company_number, self.cleaned_data.get("company_number")))

    def clean_postcode(self) -> str:
        return str(_clean_with(layout.clean_postcode, self.cleaned_data.get("postcode")))

    def _post_clean(self) -> None:
        pass


class ContractEndForm(forms.Form):
    ended_on = GovukDateField(label="Date the contract ended")
    reason = forms.CharField(
        label="Why it ended early",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs=INPUT),
    )


class ImportForm(forms.Form):
    file = UploadField(
        label="Register file",
        help_text="CSV or XLSX (the register layout, or your own headings), or an OCDS "
        "release or record package (.json) from Contracts Finder, Find a Tender or this portal.",
        widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".csv,.xlsx,.json"}
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".csv", ".xlsx", ".json"}:
            raise forms.ValidationError("The file must be a CSV, XLSX or JSON file.")
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError("The file is too large.")
        return upload


def _quarter_choices() -> list[tuple[str, str]]:
    latest = Quarter.previous(timezone.localdate())
    choices, quarter = [], Quarter.containing(timezone.localdate())
    for _ in range(8):
        suffix = " (in progress)" if quarter > latest else ""
        choices.append((quarter.code, f"{quarter.label}{suffix}"))
        quarter = Quarter.previous(quarter.start)
    return choices


class PublishForm(forms.Form):
    quarter = forms.ChoiceField(
        label="Quarter to publish", choices=_quarter_choices, widget=forms.Select(attrs=SELECT)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quarter"].initial = Quarter.previous(timezone.localdate()).code


class PaymentLinkForm(forms.Form):
    invoice_number = forms.CharField(
        label="Invoice number",
        max_length=100,
        help_text="Every ledger payment of this invoice is linked to the contract.",
        widget=forms.TextInput(attrs=NARROW),
    )
    reason = forms.CharField(
        label="Why it belongs to this contract",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs=INPUT),
    )


class OffContractForm(forms.Form):
    """The off-contract page's choices (GET): year, threshold in pounds, category."""

    fy = forms.TypedChoiceField(
        label="Financial year", coerce=int, choices=[], widget=forms.Select(attrs=SELECT)
    )
    threshold = forms.DecimalField(
        label="Threshold in pounds",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Suppliers paid at least this in the year with no contract behind the "
        "payments. £5,000 is the Transparency Code's threshold for publishing a contract.",
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}
        ),
    )
    category = forms.TypedChoiceField(
        label="Category",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[],
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(
        self,
        *args: Any,
        years: list[tuple[int, str]],
        categories: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fy"].choices = years  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "All"), *categories]  # type: ignore[attr-defined]


class LedgerSupplierFindForm(forms.Form):
    """Find the awarded supplier among the ledger's suppliers (GET, works without JavaScript)."""

    find = forms.CharField(
        label="Find the supplier in the spend ledger",
        required=False,
        max_length=100,
        help_text="Name, supplier number or company number.",
        widget=forms.TextInput(attrs={"class": "govuk-input", "type": "search"}),
    )


def _mapping_field(column: str) -> str:
    return column.lower().replace(" ", "_")


# The register columns a file's headings can be mapped to (field name, label, required).
REGISTER_MAPPABLE: tuple[tuple[str, str, bool], ...] = tuple(
    (
        _mapping_field(column),
        column,
        column in layout.REQUIRED and column not in layout.FALLBACKS,
    )
    for column in layout.COLUMNS
)


def register_mapping(form_mapping: dict[str, str]) -> dict[str, str]:
    """The mapping form's answers as register column → the file's heading."""
    columns = {_mapping_field(column): column for column in layout.COLUMNS}
    return {columns[name]: heading for name, heading in form_mapping.items()}


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ["title", "description", "target", "unit"]
        help_texts = {
            "target": "What good performance is, for example 95 (with the unit percent).",
            "unit": "For example percent, days or visits.",
        }
        widgets = {
            "title": forms.TextInput(attrs=INPUT),
            "description": forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
            "target": forms.TextInput(attrs=INPUT),
            "unit": forms.TextInput(attrs=NARROW),
        }


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = KpiAssessment
        formfield_callback = govuk_formfield
        fields = ["kpi", "period_start", "period_end", "rating", "measure", "notes"]
        labels = {"kpi": "KPI", "period_start": "Period from", "period_end": "Period to"}
        widgets = {
            "kpi": forms.Select(attrs=SELECT),
            "rating": forms.Select(attrs=SELECT),
            "measure": forms.TextInput(attrs=INPUT),
            "notes": forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
        }

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = contract.kpis.all()  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        pass


class FailureForm(forms.ModelForm):
    class Meta:
        model = PerformanceFailure
        formfield_callback = govuk_formfield
        fields = [
            "requirement",
            "description",
            "decision_date",
            "penalty_type",
            "penalty_value",
            "penalty_date",
            "partial_termination",
        ]
        labels = {
            "penalty_value": "Damages or settlement (£)",
            "penalty_date": "Date of the damages, settlement or partial termination",
        }
        widgets = {
            "requirement": forms.TextInput(attrs=INPUT),
            "description": forms.Textarea(attrs={"class": "govuk-textarea", "rows": 4}),
            "penalty_type": forms.Select(attrs=SELECT),
            "penalty_value": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}
            ),
            "partial_termination": forms.TextInput(attrs=INPUT),
        }

    def _post_clean(self) -> None:
        pass


class PlannedProcurementForm(forms.ModelForm):
    class Meta:
        model = PlannedProcurement
        formfield_callback = govuk_formfield
        fields = [
            "title",
            "description",
            "department",
            "cpv_code",
            "estimated_value_gross",
            "tender_notice_on",
            "award_on",
        ]
        labels = {"estimated_value_gross": "Estimated value including VAT (£)"}
        widgets = {
            "title": forms.TextInput(attrs=INPUT),
            "description": forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
            "department": forms.TextInput(attrs=INPUT),
            "cpv_code": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "numeric"}
            ),
            "estimated_value_gross": forms.TextInput(
                attrs={"class": "govuk-input govuk-input--width-10", "inputmode": "decimal"}
            ),
        }

    def _post_clean(self) -> None:
        pass
