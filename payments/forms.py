from decimal import Decimal
from typing import Any

from django import forms

from payments.models import PaymentDutySettings, ReceivedDateRule
from portal.forms import GovukDateField, UploadField
from spend.models import Category


class DutySettingsForm(forms.ModelForm):
    class Meta:
        model = PaymentDutySettings
        fields = [
            "authority_name",
            "authority_address",
            "authority_email",
            "ppon",
            "received_rule",
            "received_days",
        ]
        labels = {
            "authority_name": "Contracting authority name",
            "authority_address": "Postal address",
            "authority_email": "Email address",
            "received_rule": "When an invoice has no received date, count from",
            "received_days": "Days added to the invoice date",
        }
        widgets = {
            "authority_name": forms.TextInput(attrs={"class": "govuk-input"}),
            "authority_address": forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
            "authority_email": forms.EmailInput(attrs={"class": "govuk-input"}),
            "ppon": forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
            "received_rule": forms.RadioSelect(choices=ReceivedDateRule.choices),
            "received_days": forms.NumberInput(
                attrs={"class": "govuk-input govuk-input--width-3", "inputmode": "numeric"}
            ),
        }

    def clean_received_days(self) -> int:
        days: int = self.cleaned_data["received_days"]
        if days > 60:
            raise forms.ValidationError("Enter a number of days from 0 to 60.")
        return days


class ExclusionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Leave out",
        choices=[("category", "A spending category"), ("account", "Account codes by prefix")],
        widget=forms.RadioSelect,
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        label="Category",
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    account_prefix = forms.CharField(
        required=False,
        max_length=30,
        label="Account codes starting with",
        help_text="For example 590 for every grant account.",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
    )
    reason = forms.CharField(
        max_length=200,
        label="Why these are not payments under a public contract",
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "category" and not data.get("category"):
            self.add_error("category", "Choose the category to leave out.")
        if kind == "account" and not (data.get("account_prefix") or "").strip():
            self.add_error("account_prefix", "Enter the start of the account codes to leave out.")
        return data


class OpenInvoicesForm(forms.Form):
    extract = UploadField(
        label="Open invoices extract",
        help_text="CSV or XLSX: supplier number, invoice number and amount outstanding, with "
        "invoice, received and due dates and a disputed flag (Y or N) where the report has them.",
        widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".csv,.xlsx"}
        ),
    )
    as_at = forms.TypedChoiceField(
        label="The invoices still unpaid at the end of",
        coerce=str,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def __init__(self, *args: Any, period_ends: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_at"].choices = period_ends  # type: ignore[attr-defined]


class ApprovalForm(forms.Form):
    approver_name = forms.CharField(
        max_length=200,
        label="Finance officer's full name",
        help_text="The director or similar officer responsible for the council's finances.",
        widget=forms.TextInput(attrs={"class": "govuk-input", "autocomplete": "off"}),
    )
    approver_job_title = forms.CharField(
        max_length=200,
        label="Job title",
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )


class BaseRateForm(forms.Form):
    effective_from = GovukDateField(label="Changed on")
    rate = forms.DecimalField(
        label="Bank of England base rate (%)",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("-5"),
        max_value=Decimal("25"),
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-5", "inputmode": "decimal"}
        ),
    )
