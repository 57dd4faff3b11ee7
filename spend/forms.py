from typing import Any

from django import forms

from portal.forms import UploadField
from spend.models import LAYOUT_LABELS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(UploadField):
    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            data = [item for item in data if item]
            if data:
                return [single(item, initial) for item in data]
        elif data:
            return [single(data, initial)]
        if self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return []


class UploadForm(forms.Form):
    extracts = MultipleFileField(
        label="Invoice extracts",
        help_text="CSV or XLSX files: Oracle R12 or Fusion paid-invoice extracts, or published "
        "spend-over-£500 files. You can choose several at once.",
        widget=MultipleFileInput(attrs={"class": "govuk-file-upload", "accept": ".csv,.xlsx,.txt"}),
    )
    layout = forms.ChoiceField(
        label="File layout",
        choices=[
            ("auto", f"{LAYOUT_LABELS['auto']} (recommended)"),
            *((code, LAYOUT_LABELS[code]) for code in ("r12", "fusion", "transparency")),
        ],
        initial="auto",
        widget=forms.RadioSelect,
    )


# The fields a published spend file can be mapped to, most important first.
MAPPABLE_FIELDS = (
    ("supplier_name", "Supplier (beneficiary) name", True),
    ("payment_date", "Payment date", True),
    ("amount", "Amount paid", True),
    ("payment_reference", "Transaction number or reference", False),
    ("supplier_number", "Supplier number", False),
    ("postcode", "Supplier postcode", False),
    ("cost_centre", "Service area or department", False),
    ("account_description", "Expense type", False),
    ("description", "Description or purpose", False),
)


class ColumnMappingForm(forms.Form):
    """Which column of an unrecognised file holds each field, saved as a reusable profile."""

    name = forms.CharField(
        label="Name for this layout",
        max_length=120,
        help_text="For example 'Hyndburn spend file'. Files with the same "
        "column headings will use this mapping automatically.",
        error_messages={"required": "Enter a name for this layout"},
    )

    def __init__(
        self,
        *args: Any,
        headings: list[str],
        fields: tuple[tuple[str, str, bool], ...] = MAPPABLE_FIELDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The register import maps its own columns with this form (contracts.forms).
        self.mappable = fields
        choices = [("", "Not in this file"), *[(h, h) for h in headings]]
        for field_name, label, required in fields:
            self.fields[field_name] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=required,
                widget=forms.Select(attrs={"class": "govuk-select"}),
                error_messages={
                    "required": f"Choose the column that holds the {label[0].lower()}{label[1:]}"
                },
            )

    def mapping(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name]
            for name, _, _ in self.mappable
            if self.cleaned_data.get(name)
        }


class CategoryRuleForm(forms.Form):
    """Add a rule, or change the category of an account-code prefix that has one."""

    account_prefix = forms.RegexField(
        label="Account code starts with",
        max_length=30,
        regex=r"^[0-9A-Za-z.\-]+$",
        help_text="For example 521 for every account from 52100 to 52199. The longest "
        "matching rule wins.",
        error_messages={
            "invalid": "Enter the start of an account code: letters, digits, dots or hyphens."
        },
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
    )
    category_name = forms.CharField(
        label="Category",
        max_length=100,
        help_text="An existing category name, or a new one.",
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-!-width-one-half", "list": "category-names"}
        ),
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )


class RedactionMarkerForm(forms.Form):
    """A text a council puts in place of a payee's name."""

    text = forms.CharField(
        label="Text that stands for a redacted payee",
        max_length=120,
        help_text='For example "Redacted", "Withheld" or "Personal data". Case, spaces and '
        "punctuation are ignored; a name made only of asterisks is always redacted.",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-!-width-one-half"}),
    )


class SundryNumberForm(forms.Form):
    """A supplier number the council uses for many one-off payees."""

    supplier_number = forms.CharField(
        label="Supplier number used for many payees",
        max_length=40,
        help_text="Each payee paid under it becomes a supplier of its own, named as its "
        "payments name it. This applies to files imported from now on: withdraw and import "
        "again a file already in the ledger to split its payments.",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-!-width-two-thirds"}),
    )


class ThresholdForm(forms.Form):
    """A page's threshold in whole pounds (the tail, the spend-over files). Left out, the
    page's own default is used; given wrongly, the page says what to enter."""

    threshold = forms.IntegerField(
        min_value=0,
        error_messages={
            "required": "Enter an amount in whole pounds, like 500",
            "invalid": "Enter the amount in whole pounds, like 500, without £ or commas",
            "min_value": "The amount must be £0 or more",
        },
        widget=forms.NumberInput(
            attrs={"class": "govuk-input--width-10", "inputmode": "numeric", "step": 1}
        ),
    )

    def __init__(self, data: Any, *, label: str, default_pounds: int) -> None:
        super().__init__(data, auto_id="%s", initial={"threshold": default_pounds})
        self.fields["threshold"].label = label
        self.default_pounds = default_pounds

    @property
    def pounds(self) -> int:
        """The threshold asked for, or the default when none (or a wrong one) was given."""
        if self.is_bound and self.is_valid():
            return int(self.cleaned_data["threshold"])
        return self.default_pounds


class WithdrawForm(forms.Form):
    """Why a loaded file is withdrawn: required, as the withdrawal is kept on record."""

    reason = forms.CharField(
        label="Why is it withdrawn?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the file is withdrawn (it is kept on record)"},
    )

    def __init__(self, data: Any = None) -> None:
        # id "withdraw-reason"; the field is still posted as "reason".
        super().__init__(data, auto_id="withdraw-%s")
