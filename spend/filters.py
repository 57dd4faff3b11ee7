"""django-filter FilterSets for the supplier table and the payments drill-down.

They only parse and validate the query string; the rows come from the selectors
(``supplier_spend`` and ``payments``), so a page, its export and a report filter alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from portal.formatting import financial_year_label
from spend import selectors
from spend.models import LocalityClass, Payment, SpendSummary

SELECT = forms.Select(attrs={"class": "govuk-select"})
SEARCH = forms.TextInput(attrs={"class": "govuk-input", "type": "search"})
POUNDS = forms.NumberInput(
    attrs={
        "class": "govuk-input govuk-input--width-10",
        "min": "0",
        "step": "1",
        "inputmode": "numeric",
    }
)


def year_choices() -> list[tuple[str, str]]:
    return [(str(fy), financial_year_label(fy)) for fy in reversed(selectors.financial_years())]


def category_choices() -> list[tuple[str, str]]:
    return [(str(c.pk), c.name) for c in selectors.categories()] + [
        ("none", selectors.UNCATEGORISED)
    ]


def _pence(pounds: Any) -> int | None:
    return None if pounds in (None, "") else int(pounds) * 100


class SupplierSpendFilter(django_filters.FilterSet):
    fy = django_filters.ChoiceFilter(
        label="Financial year", choices=[], widget=SELECT, empty_label="All years", method="ignore"
    )
    category = django_filters.ChoiceFilter(
        label="Category", choices=[], widget=SELECT, empty_label="All", method="ignore"
    )
    locality = django_filters.ChoiceFilter(
        label="Locality class",
        choices=LocalityClass.choices,
        widget=SELECT,
        empty_label="All",
        method="ignore",
    )
    q = django_filters.CharFilter(label="Supplier name or number", widget=SEARCH, method="ignore")
    min_spend = django_filters.NumberFilter(
        label="Spend at least (£)", widget=POUNDS, method="ignore", min_value=0
    )
    max_spend = django_filters.NumberFilter(
        label="Spend at most (£)", widget=POUNDS, method="ignore", min_value=0
    )

    class Meta:
        model = SpendSummary
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["fy"].extra["choices"] = year_choices()
        self.filters["category"].extra["choices"] = category_choices()

    def ignore(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    @property
    def selected(self) -> dict[str, Any]:
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        return {
            "fy": int(data["fy"]) if data.get("fy") else None,
            "category": data.get("category") or None,
            "locality": data.get("locality") or None,
            "q": data.get("q") or None,
            "min_pence": _pence(data.get("min_spend")),
            "max_pence": _pence(data.get("max_spend")),
        }

    @property
    def qs(self) -> Any:  # the selector's rows (a list of dicts), not a queryset
        if not hasattr(self, "_qs"):
            self._qs = selectors.supplier_spend(**self.selected)
        return self._qs


class PaymentFilter(django_filters.FilterSet):
    fy = django_filters.ChoiceFilter(
        label="Financial year", choices=[], widget=SELECT, empty_label="All years", method="ignore"
    )
    month = django_filters.CharFilter(
        label="Month",
        method="ignore",
        help_text="For example 2023-04",
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-5", "pattern": r"\d{4}-\d{2}"}
        ),
    )
    category = django_filters.ChoiceFilter(
        label="Category", choices=[], widget=SELECT, empty_label="All", method="ignore"
    )
    locality = django_filters.ChoiceFilter(
        label="Locality class",
        choices=LocalityClass.choices,
        widget=SELECT,
        empty_label="All",
        method="ignore",
    )
    supplier = django_filters.NumberFilter(widget=forms.HiddenInput, method="ignore")
    site = django_filters.NumberFilter(widget=forms.HiddenInput, method="ignore")
    top = django_filters.NumberFilter(widget=forms.HiddenInput, method="ignore", min_value=1)
    tail = django_filters.NumberFilter(widget=forms.HiddenInput, method="ignore", min_value=0)
    off_contract = django_filters.BooleanFilter(widget=forms.HiddenInput, method="ignore")
    contract = django_filters.NumberFilter(widget=forms.HiddenInput, method="ignore")

    class Meta:
        model = Payment
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["fy"].extra["choices"] = year_choices()
        self.filters["category"].extra["choices"] = category_choices()

    def ignore(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    @property
    def selected(self) -> selectors.PaymentFilters:
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        month = None
        if data.get("month"):
            try:
                year, number_of_month = (int(part) for part in data["month"].split("-"))
                month = dt.date(year, number_of_month, 1)
            except (TypeError, ValueError):
                self.form.add_error("month", "Enter a month as year and month, like 2023-04.")

        def number(key: str) -> int | None:
            return None if data.get(key) is None else int(data[key])

        tail = number("tail")
        return selectors.PaymentFilters(
            fy=int(data["fy"]) if data.get("fy") else None,
            month=month,
            supplier=number("supplier"),
            category=data.get("category") or None,
            locality=data.get("locality") or None,
            site=number("site"),
            top=number("top"),
            tail=None if tail is None else tail * 100,
            off_contract=bool(data.get("off_contract")),
            contract=number("contract"),
        )

    @property
    def qs(self) -> QuerySet[Any]:
        if not hasattr(self, "_qs"):
            self._qs = selectors.payments(self.selected).select_related(
                "supplier", "category", "site"
            )
        return self._qs
