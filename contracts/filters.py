from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from contracts import selectors
from contracts.models import Category, Contract, PublishedContract, Route

SELECT = forms.Select(attrs={"class": "govuk-select"})
SEARCH = forms.TextInput(attrs={"class": "govuk-input", "type": "search"})


def _departments(queryset: QuerySet[Any]) -> list[tuple[str, str]]:
    names = queryset.order_by("department").values_list("department", flat=True).distinct()
    return [(name, name) for name in names]


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=SEARCH,
        help_text="Reference, title, department, supplier name, supplier number or company number.",
    )
    department = django_filters.ChoiceFilter(choices=[], widget=SELECT, empty_label="All")
    category = django_filters.ChoiceFilter(
        choices=Category.choices, widget=SELECT, empty_label="All"
    )
    procurement_route = django_filters.ChoiceFilter(
        choices=Route.choices, widget=SELECT, empty_label="All"
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[(s, s) for s in selectors.LiveStatus.ALL],
        widget=SELECT,
        empty_label="All",
        method="by_status",
        help_text="Worked out from the dates; ending means within 6 months.",
    )

    class Meta:
        model = Contract
        fields = ["q", "department", "category", "procurement_route", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["department"].extra["choices"] = _departments(Contract.objects.all())

    def search(self, queryset: QuerySet[Contract], name: str, value: str) -> QuerySet[Contract]:
        return selectors.contract_search(queryset, value)

    def by_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # The queryset carries ``live_status`` (selectors.with_live_status).
        return queryset.filter(live_status=value)


class PublishedContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        widget=SEARCH,
        help_text="Reference, title, department or supplier.",
    )
    department = django_filters.ChoiceFilter(choices=[], widget=SELECT, empty_label="All")
    category = django_filters.ChoiceFilter(
        choices=Category.choices, widget=SELECT, empty_label="All"
    )
    procurement_route = django_filters.ChoiceFilter(
        choices=Route.choices, widget=SELECT, empty_label="All"
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[(s, s) for s in selectors.LiveStatus.PUBLIC],
        widget=SELECT,
        empty_label="All",
        method="by_status",
        help_text="Worked out from the dates; ending means within 6 months.",
    )

    class Meta:
        model = PublishedContract
        fields = ["q", "department", "category", "procurement_route", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert self.queryset is not None
        self.filters["department"].extra["choices"] = _departments(self.queryset)

    def search(
        self, queryset: QuerySet[PublishedContract], name: str, value: str
    ) -> QuerySet[PublishedContract]:
        return selectors.published_search(queryset, value)

    def by_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(live_status=value)
