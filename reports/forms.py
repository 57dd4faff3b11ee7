from typing import Any

from django import forms

from portal.formatting import financial_year_label


class CommitteeReportForm(forms.Form):
    fy = forms.TypedChoiceField(
        label="Financial year", coerce=int, widget=forms.Select(attrs={"class": "govuk-select"})
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["fy"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(y, financial_year_label(y)) for y in years]


def _date_input() -> forms.DateInput:
    return forms.DateInput(
        attrs={"class": "govuk-input govuk-input--width-10", "type": "date"}, format="%Y-%m-%d"
    )


def _committee_field() -> forms.CharField:
    return forms.CharField(
        label="Committee",
        max_length=200,
        help_text="For example, Audit, Risk and Governance Committee.",
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
        error_messages={"required": "Enter the name of the committee the report goes to."},
    )


def _meeting_date_field() -> forms.DateField:
    return forms.DateField(
        label="Meeting date",
        widget=_date_input(),
        error_messages={
            "required": "Enter the date of the meeting, for example 22 July 2024.",
            "invalid": "Enter the meeting date as a real date, for example 22 July 2024.",
        },
    )


class EditionStartForm(forms.Form):
    """Choose the year and the meeting a new edition is for."""

    fy = forms.TypedChoiceField(
        label="Financial year", coerce=int, widget=forms.Select(attrs={"class": "govuk-select"})
    )
    committee = _committee_field()
    meeting_date = _meeting_date_field()
    start_from_last = forms.BooleanField(
        label="Start from the last edition's text",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["fy"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(y, financial_year_label(y)) for y in years]


class FrontSheetForm(forms.Form):
    """The front sheet of a draft edition; each section's text is posted beside it."""

    committee = _committee_field()
    meeting_date = _meeting_date_field()
    as_at = forms.DateField(
        label="Figures as at (optional)",
        required=False,
        help_text="Leave empty for the end of the financial year. A later date is not used.",
        widget=_date_input(),
        error_messages={"invalid": "Enter the as-at date as a real date, or leave it empty."},
    )
    report_of = forms.CharField(
        label="Report of",
        max_length=200,
        required=False,
        help_text="For example, Director of Finance.",
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
    contact_officer = forms.CharField(
        label="Contact officer",
        max_length=200,
        required=False,
        help_text="Name, job title and email address.",
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
    purpose = forms.CharField(
        label="Purpose of the report",
        required=False,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
    )
    approximate_top = forms.BooleanField(
        label="Show the top 20 suppliers' spend rounded to the nearest £100,000",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )
