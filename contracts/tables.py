from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from contracts.quarters import Quarter

NUMERIC = {
    "th": {"class": "govuk-table__header--numeric"},
    "td": {"class": "govuk-table__cell--numeric"},
}


def pounds(value: Decimal | None) -> str:
    return "" if value is None else f"£{value:,.2f}"


class MoneyColumn(tables.Column):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        super().__init__(*args, **kwargs)

    def render(self, value: Decimal) -> str:
        return pounds(value)

    def value(self, value: Decimal) -> str:
        return str(value)


class DateColumn(tables.DateColumn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", "j M Y")
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def value(self, value: Any) -> str:
        return value.isoformat() if value else ""


class ContractTable(tables.Table):
    caption = "Contracts"
    reference = tables.Column(linkify=True, attrs={"td": {"class": "portal-nowrap"}})
    title = tables.Column()
    department = tables.Column()
    supplier_count = tables.Column(verbose_name="Suppliers", attrs=NUMERIC)
    award_date = DateColumn()
    end_date = DateColumn()
    awarded_value = MoneyColumn(verbose_name="Value")
    status = tables.Column()

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        per_page = 50
        order_by = ("reference",)
        empty_text = "No contracts match."

    def render_status(self, record: Any) -> str:
        if record.ended_on:
            return f"Ended {record.ended_on:%-d %b %Y}"
        return str(record.get_status_display())


class ForwardPlanTable(tables.Table):
    caption = "Contracts ending in the next 24 months"
    quarter = tables.Column(empty_values=(), orderable=False, verbose_name="Quarter ending")
    reference = tables.Column(linkify=True, orderable=False)
    title = tables.Column(orderable=False)
    department = tables.Column(orderable=False)
    end_date = DateColumn(orderable=False)
    awarded_value = MoneyColumn(verbose_name="Value", orderable=False)
    reprocurement_started = tables.BooleanColumn(
        verbose_name="Re-procurement started", yesno="Yes,No", orderable=False
    )

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        empty_text = "No contracts end in the next 24 months."

    def render_quarter(self, record: Any) -> str:
        return Quarter.containing(record.end_date).label

    def value_quarter(self, record: Any) -> str:
        return Quarter.containing(record.end_date).code


class AwardMonitoringTable(tables.Table):
    """Measures down the side, months across, as the committee report lays it out."""

    measure = tables.Column(verbose_name="Measure", orderable=False)

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        orderable = False

    row_header = True

    def __init__(
        self, data: list[dict[str, Any]], months: list[tuple[str, str]], caption: str, **kwargs: Any
    ) -> None:
        extra = [
            (key, tables.Column(verbose_name=label, orderable=False, attrs=NUMERIC))
            for key, label in months
        ]
        super().__init__(data, extra_columns=extra, **kwargs)
        self.caption = caption


class PublicRegisterTable(tables.Table):
    caption = "Published contracts"
    reference = tables.Column(attrs={"td": {"class": "portal-nowrap"}})
    title = tables.Column()
    department = tables.Column()
    supplier_names = tables.Column(verbose_name="Suppliers", orderable=False)
    start_date = DateColumn(verbose_name="Start")
    end_date = DateColumn(verbose_name="End")
    awarded_value = MoneyColumn(verbose_name="Value")

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        per_page = 25
        order_by = ("reference",)
        empty_text = "No published contracts match."

    def render_reference(self, record: Any, value: str) -> str:
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>',
            reverse("register:contract", args=[record.pk]),
            value,
        )

    def render_supplier_names(self, record: Any, value: str) -> str:
        names = value.split("; ")
        if len(names) > 5:
            return f"{'; '.join(names[:5])} and {len(names) - 5} more"
        return value

    # The downloads carry the data itself: the plain reference, and every supplier.
    def value_reference(self, value: str) -> str:
        return value

    def value_supplier_names(self, value: str) -> str:
        return value
