"""Tables for the social value dashboards; each exports as CSV or XLSX (``_export=``) with
money as numbers in pounds and pence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from portal.formatting import financial_year_label
from portal.tables import NUMERIC, TEMPLATE, PercentColumn
from portal.tables import PenceColumn as SharedPenceColumn


def PenceColumn(**kwargs: Any) -> SharedPenceColumn:
    # Social value exports leave a blank where there is no figure.
    kwargs.setdefault("missing", "")
    return SharedPenceColumn(**kwargs)


class PerPoundColumn(tables.Column):
    """Pence of social value per £1 of contract value, to a hundredth of a penny."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        kwargs.setdefault("default", "-")
        super().__init__(*args, **kwargs)

    def render(self, value: Decimal | None) -> str:
        return "-" if value is None else f"{value:,.2f}p"

    def value(self, value: Decimal | None) -> Decimal | str:
        return "" if value is None else value


class UnitsColumn(tables.Column):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("attrs", NUMERIC)
        super().__init__(*args, **kwargs)

    def render(self, value: Decimal) -> str:
        return f"{value.normalize():,f}" if value else "0"

    def value(self, value: Decimal) -> Decimal:
        return value


def delivered_percent_column() -> PercentColumn:
    return PercentColumn(verbose_name="Delivered of committed", empty_values=())


class ThemeTable(tables.Table):
    code = tables.Column(verbose_name="Code")
    title = tables.Column(verbose_name="Theme")
    committed_pence = PenceColumn(verbose_name="Committed")
    delivered_pence = PenceColumn(verbose_name="Delivered (verified)")
    awaiting_pence = PenceColumn(verbose_name="Awaiting verification")
    delivered_percent = delivered_percent_column()

    class Meta:
        template_name = TEMPLATE
        orderable = False
        empty_text = "The catalogue has no themes."


class ContractTable(tables.Table):
    reference = tables.Column(verbose_name="Contract", attrs={"td": {"class": "portal-nowrap"}})
    title = tables.Column()
    suppliers = tables.Column(verbose_name="Suppliers")
    approach = tables.Column()
    contract_value_pence = PenceColumn(verbose_name="Contract value in the period")
    committed_pence = PenceColumn(verbose_name="Committed")
    delivered_pence = PenceColumn(verbose_name="Delivered (verified)")
    awaiting_pence = PenceColumn(verbose_name="Awaiting verification")
    delivered_percent = delivered_percent_column()
    committed_pence_per_pound = PerPoundColumn(
        verbose_name="Committed (pence per £1)", empty_values=()
    )
    delivered_pence_per_pound = PerPoundColumn(
        verbose_name="Delivered (pence per £1)", empty_values=()
    )

    class Meta:
        template_name = TEMPLATE
        orderable = False
        empty_text = "No contracts have social value commitments in this period."

    def render_reference(self, record: Any, value: str) -> str:
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>',
            reverse("socialvalue:contract", args=[record.contract_id]),
            value,
        )

    def value_reference(self, value: str) -> str:
        return value


class SupplierTable(tables.Table):
    name = tables.Column(verbose_name="Supplier")
    contracts = tables.Column(verbose_name="Contracts", attrs=NUMERIC)
    committed_pence = PenceColumn(verbose_name="Committed")
    delivered_pence = PenceColumn(verbose_name="Delivered (verified)")
    awaiting_pence = PenceColumn(verbose_name="Awaiting verification")
    delivered_percent = delivered_percent_column()

    class Meta:
        template_name = TEMPLATE
        orderable = False
        empty_text = "No suppliers have social value commitments in this period."


class YearTable(tables.Table):
    fy = tables.Column(verbose_name="Financial year")
    committed_pence = PenceColumn(verbose_name="Committed")
    delivered_pence = PenceColumn(verbose_name="Delivered (verified)")
    awaiting_pence = PenceColumn(verbose_name="Awaiting verification")
    delivered_percent = delivered_percent_column()

    class Meta:
        template_name = TEMPLATE
        orderable = False
        empty_text = "No social value commitments yet."

    def render_fy(self, value: int) -> str:
        return financial_year_label(value)

    def value_fy(self, value: int) -> str:
        return financial_year_label(value)


class MeasureTable(tables.Table):
    code = tables.Column(verbose_name="Measure")
    title = tables.Column()
    unit = tables.Column()
    committed_units = UnitsColumn(verbose_name="Units committed")
    delivered_units = UnitsColumn(verbose_name="Units delivered (verified)")
    awaiting_units = UnitsColumn(verbose_name="Units awaiting verification")
    committed_pence = PenceColumn(verbose_name="Committed")
    delivered_pence = PenceColumn(verbose_name="Delivered (verified)")

    class Meta:
        template_name = TEMPLATE
        orderable = False
        empty_text = "No measures have commitments in this period."


class OverdueTable(tables.Table):
    reference = tables.Column(verbose_name="Contract", attrs={"td": {"class": "portal-nowrap"}})
    title = tables.Column()
    suppliers = tables.Column()
    quarters = tables.Column(verbose_name="Quarters overdue", empty_values=())
    missing = tables.Column(verbose_name="Returns missing", attrs=NUMERIC)
    oldest_due = tables.DateColumn(verbose_name="Oldest due", format="j M Y", empty_values=())
    days_overdue = tables.Column(verbose_name="Days overdue", attrs=NUMERIC, empty_values=())
    reminded = tables.Column(verbose_name="Last reminder", empty_values=(), accessor="contract_id")
    remind = tables.Column(
        verbose_name="Action", empty_values=(), accessor="contract_id", exclude_from_export=True
    )

    class Meta:
        template_name = TEMPLATE
        orderable = False
        empty_text = "No returns are overdue."

    def __init__(
        self, *args: Any, reminders: dict[int, Any], csrf_token: str = "", **kwargs: Any
    ) -> None:
        # Officers (with a CSRF token) get the "Send a reminder" button; readers do not.
        super().__init__(*args, exclude=() if csrf_token else ("remind",), **kwargs)
        self.reminders = reminders
        self.csrf_token = csrf_token

    def render_reminded(self, value: int) -> str:
        sent = self.reminders.get(value)
        return "Not sent" if sent is None else f"{timezone.localtime(sent):%-d %b %Y}"

    def value_reminded(self, value: int) -> str:
        sent = self.reminders.get(value)
        return "" if sent is None else timezone.localtime(sent).date().isoformat()

    def render_remind(self, record: Any, value: int) -> str:
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><button type="submit" class="govuk-button govuk-button--secondary '
            'govuk-!-margin-bottom-0" data-module="govuk-button">Send a reminder'
            '<span class="govuk-visually-hidden"> for {}</span></button></form>',
            reverse("socialvalue:remind", args=[value]),
            self.csrf_token,
            record.reference,
        )

    def render_reference(self, record: Any, value: str) -> str:
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>',
            reverse("socialvalue:contract", args=[record.contract_id]),
            value,
        )

    def value_reference(self, value: str) -> str:
        return value

    def render_missing(self, value: list[Any]) -> str:
        return str(len(value))

    def value_missing(self, value: list[Any]) -> int:
        return len(value)

    def value_oldest_due(self, value: Any) -> str:
        return value.isoformat()
