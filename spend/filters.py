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

from portal.formatting import financial_year_label, month_name, pounds
from spend import selectors
from spend.models import LocalityClass, Payment, SpendSummary, Supplier, SupplierSite

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


def month_choices(fy: int | None) -> list[tuple[str, str]]:
    """The months to choose from, labelled "April 2024": the financial year's twelve when a
    year is chosen, else every month the ledger has spend in, newest first."""
    if fy is not None:
        months = [dt.date(fy + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]
    else:
        months = selectors.transparency_months()
    return [(f"{m:%Y-%m}", month_name(m)) for m in months]


class PaymentFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        label="Invoice or payment number",
        method="ignore",
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-10", "spellcheck": "false"}
        ),
    )
    fy = django_filters.ChoiceFilter(
        label="Financial year", choices=[], widget=SELECT, empty_label="All years", method="ignore"
    )
    month = django_filters.ChoiceFilter(
        label="Month", choices=[], widget=SELECT, empty_label="All months", method="ignore"
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
        fy = (self.data or {}).get("fy")
        self.filters["month"].extra["choices"] = month_choices(
            int(fy) if fy and str(fy).isdigit() else None
        )
        self.filters["month"].extra["error_messages"] = {
            "invalid_choice": "Choose a month from the list"
            + (" (the months of the financial year chosen)" if fy else "")
            + ", or All months."
        }
        self.filters["fy"].extra["error_messages"] = {
            "invalid_choice": "Choose a financial year from the list, or All years."
        }

    def ignore(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    @property
    def refused(self) -> bool:
        """A filter was given that cannot be read: the page lists nothing and says what to fix
        (listing everything would pass for the payments asked for)."""
        return self.is_bound and not self.form.is_valid()

    @property
    def selected(self) -> selectors.PaymentFilters:
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        month = None
        if data.get("month"):
            year, number_of_month = (int(part) for part in data["month"].split("-"))
            month = dt.date(year, number_of_month, 1)

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
            number=(data.get("number") or "").strip() or None,
        )

    @property
    def qs(self) -> QuerySet[Any]:
        if not hasattr(self, "_qs"):
            rows = Payment.objects.none() if self.refused else selectors.payments(self.selected)
            self._qs = rows.select_related("supplier", "category", "site")
        return self._qs

    def chips(self, contract: Any = None) -> list[tuple[str, str]]:
        """Each filter in force as (label, the address without it), for "remove" links. A year
        taken away takes its top-n and tail filters with it (they need a year)."""
        selected = self.selected
        if self.refused:
            return []
        labels: list[tuple[tuple[str, ...], str]] = []
        if selected.number:
            labels.append((("number",), f"Invoice or payment number: {selected.number}"))
        if selected.fy is not None:
            labels.append((("fy", "top", "tail"), f"Year: {financial_year_label(selected.fy)}"))
        if selected.month is not None:
            labels.append((("month",), f"Month: {month_name(selected.month)}"))
        if selected.supplier is not None:
            name = Supplier.objects.filter(pk=selected.supplier).values_list("name", flat=True)
            labels.append((("supplier",), f"Supplier: {name.first() or selected.supplier}"))
        if selected.site is not None:
            site = SupplierSite.objects.filter(pk=selected.site).first()
            where = (site.site_code or site.postcode) if site else selected.site
            labels.append((("site",), f"Site: {where}"))
        if selected.category:
            names = dict(category_choices())
            labels.append((("category",), f"Category: {names.get(selected.category, '?')}"))
        if selected.locality:
            names = dict(LocalityClass.choices)
            labels.append((("locality",), f"Locality: {names[selected.locality]}"))
        if selected.fy is not None and selected.top is not None:
            labels.append((("top",), f"Top {selected.top:,} suppliers of the year"))
        if selected.fy is not None and selected.tail is not None:
            labels.append((("tail",), f"Suppliers paid under {pounds(selected.tail)}"))
        if selected.off_contract:
            labels.append((("off_contract",), "No contract behind them"))
        if selected.contract is not None:
            reference = contract.reference if contract is not None else selected.contract
            labels.append((("contract",), f"Contract: {reference}"))
        chips = []
        for keys, label in labels:
            query = self.data.copy()
            for key in (*keys, "page", "_export"):
                query.pop(key, None)
            chips.append((label, f"?{query.urlencode()}" if query else "?"))
        return chips
