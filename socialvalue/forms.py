from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from contracts.models import AwardedSupplier, Contract
from portal.forms import UploadField
from socialvalue.evidence import MAX_EVIDENCE_BYTES
from socialvalue.models import (
    APPROACH_HINTS,
    QUARTER_LABELS,
    Approach,
    Commitment,
    Measure,
    Outcome,
)
from socialvalue.periods import FyQuarter, financial_year_label, financial_year_of

INPUT = {"class": "govuk-input"}
NUMBER = {
    "class": "govuk-input govuk-input--width-10",
    "inputmode": "decimal",
    "spellcheck": "false",
}
YEAR = {"class": "govuk-input govuk-input--width-4", "inputmode": "numeric", "spellcheck": "false"}
SELECT = {"class": "govuk-select"}
TEXTAREA = {"class": "govuk-textarea", "rows": 3}


class MeasureForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = ["outcome", "code", "title", "unit", "description", "active"]
        widgets = {
            "outcome": forms.Select(attrs=SELECT),
            "code": forms.TextInput(attrs={**INPUT, "class": "govuk-input govuk-input--width-10"}),
            "title": forms.TextInput(attrs=INPUT),
            "unit": forms.TextInput(attrs={**INPUT, "class": "govuk-input govuk-input--width-20"}),
            "description": forms.Textarea(attrs=TEXTAREA),
            "active": forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = (  # type: ignore[attr-defined]
            Outcome.objects.select_related("theme")
        )


class ProxyForm(forms.Form):
    valid_from_fy = forms.TypedChoiceField(
        label="Valid from (financial year)",
        coerce=int,
        choices=(),
        widget=forms.Select(attrs=SELECT),
        help_text="The value applies from this year until a later value replaces it.",
    )
    value = forms.DecimalField(
        label="Proxy value (£ per unit)",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(NUMBER),
    )
    basis = forms.CharField(
        label="Basis (where the value comes from)",
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = financial_year_of(timezone.localdate())
        self.fields["valid_from_fy"].choices = [  # type: ignore[attr-defined]
            (y, financial_year_label(y)) for y in range(2015, now + 6)
        ]


class CatalogueImportForm(forms.Form):
    file = UploadField(
        label="Catalogue spreadsheet (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload", "accept": ".xlsx"}),
    )


class ApproachForm(forms.Form):
    approach = forms.ChoiceField(
        label="Social value approach", choices=Approach.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs=TEXTAREA))

    hints = APPROACH_HINTS


class CommitmentForm(forms.Form):
    measure = forms.ModelChoiceField(
        queryset=Measure.objects.none(), widget=forms.Select(attrs=SELECT)
    )
    target_quantity = forms.DecimalField(
        label="Target quantity",
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(NUMBER),
        help_text="In the measure's own unit.",
    )
    period_fy = forms.TypedChoiceField(
        label="Financial year", coerce=int, choices=(), widget=forms.Select(attrs=SELECT)
    )
    supplier = forms.ModelChoiceField(
        queryset=AwardedSupplier.objects.none(),
        required=False,
        empty_label="All suppliers on the contract",
        widget=forms.Select(attrs=SELECT),
    )
    note = forms.CharField(required=False, max_length=500, widget=forms.TextInput(INPUT))

    def __init__(
        self, *args: Any, contract: Contract, commitment: Commitment | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = Measure.objects.filter(  # type: ignore[attr-defined]
            active=True
        ).select_related("outcome__theme")
        self.fields["measure"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.code} {m.title} ({m.unit})"
        )
        self.fields["supplier"].queryset = contract.suppliers.all()  # type: ignore[attr-defined]
        start = financial_year_of(contract.start_date)
        end = contract.effective_end
        last = financial_year_of(end) if end else start + 5
        self.fields["period_fy"].choices = [  # type: ignore[attr-defined]
            (y, financial_year_label(y)) for y in range(start, max(last, start) + 1)
        ]
        if commitment is not None:
            del self.fields["measure"]
            del self.fields["period_fy"]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", "Verify"), ("reject", "Reject")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason for rejecting (the supplier sees it)",
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the return is rejected: the supplier sees it.")
        return data


class LinkForm(forms.Form):
    supplier = forms.ModelChoiceField(
        queryset=AwardedSupplier.objects.none(), widget=forms.Select(attrs=SELECT)
    )
    days = forms.IntegerField(
        label="Days the link works",
        min_value=1,
        max_value=366,
        initial=120,
        widget=forms.TextInput(YEAR),
    )
    email = forms.EmailField(
        label="Email the link to (optional)",
        required=False,
        help_text="The supplier's contact for social value. Leave it empty to copy the link "
        "into your own email.",
        widget=forms.EmailInput(attrs={**INPUT, "autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = contract.suppliers.all()  # type: ignore[attr-defined]


class ReturnForm(forms.Form):
    """A supplier's return: which commitment, which quarter of its year, how much, evidence."""

    commitment = forms.TypedChoiceField(
        label="Commitment", coerce=int, choices=(), widget=forms.Select(attrs=SELECT)
    )
    quarter = forms.TypedChoiceField(
        label="Quarter of the commitment's financial year",
        coerce=int,
        choices=[(q, f"Q{q}: {label}") for q, label in QUARTER_LABELS.items()],
        widget=forms.RadioSelect,
    )
    quantity = forms.DecimalField(
        label="Quantity delivered in the quarter",
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(NUMBER),
        help_text="In the measure's unit, shown with the commitment.",
    )
    evidence_note = forms.CharField(
        label="Evidence",
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text="What was delivered and how you know: names of schemes, dates, numbers.",
    )
    evidence = UploadField(
        label="Evidence file (optional)",
        required=False,
        help_text=f"PDF, an image, or a Word, Excel or PowerPoint file, up to "
        f"{MAX_EVIDENCE_BYTES // 1024 // 1024} MB.",
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload"}),
    )
    submitted_by_name = forms.CharField(
        label="Your name",
        max_length=200,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "name", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, commitments: list[Commitment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.commitments = {
            c.pk: c for c in commitments if FyQuarter(c.period_fy, 1).start <= today
        }
        self.fields["commitment"].choices = [  # type: ignore[attr-defined]
            (
                c.pk,
                f"{c.measure.code} {c.measure.title}, {financial_year_label(c.period_fy)}: "
                f"target {c.target_quantity.normalize():f} {c.measure.unit}",
            )
            for c in self.commitments.values()
        ]

    def chosen(self) -> Commitment:
        """The commitment picked (one of those offered: the field's choices see to that)."""
        return self.commitments[self.cleaned_data["commitment"]]

    def clean_evidence(self) -> Any:
        upload = self.cleaned_data.get("evidence")
        if upload and upload.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_EVIDENCE_BYTES // 1024 // 1024} MB."
            )
        return upload
