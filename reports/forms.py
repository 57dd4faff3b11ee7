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
