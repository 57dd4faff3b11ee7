from datetime import date
from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django_tables2.data import TableListData

from contracts.selectors import contracts_spend_to_date
from portal.formatting import percent
from portal.formatting import pounds as pounds_whole
from portal.money import pence_from_decimal, pounds_decimal
from portal.periods import Quarter
from portal.tables import NUMERIC, PenceColumn, PoundsColumn
from spend.tables import payments_url

# A table of records, one card per row on a phone (frontend/_tables.scss).
STACK = "portal-table--stack"

NOT_RECORDED = "Not recorded"


class DateColumn(tables.DateColumn):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", "j M Y")
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def value(self, value: Any) -> str:
        return value.isoformat() if value else ""


class ContractTable(tables.Table):
    """The officers' register: status from dates, soonest end first. The export adds each
    contract's spend to date from the ledger and the share of its value used."""

    caption = "Contracts"
    reference = tables.Column(
        linkify=True, attrs={"td": {"class": "portal-nowrap"}, "a": {"class": "govuk-link"}}
    )
    title = tables.Column()
    department = tables.Column()
    supplier_count = tables.Column(verbose_name="Suppliers", attrs=NUMERIC)
    award_date = DateColumn()
    end_date = DateColumn(default=NOT_RECORDED)
    awarded_value = PoundsColumn(verbose_name="Value")
    live_status = tables.Column(verbose_name="Status")
    spend_to_date = tables.Column(
        verbose_name="Spend to date", empty_values=(), visible=False, orderable=False
    )
    share_used = tables.Column(
        verbose_name="Share of value used (%)", empty_values=(), visible=False, orderable=False
    )

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        per_page = 50
        order_by = ("end_date", "reference")
        empty_text = "No contracts match."
        attrs = {"class": STACK}  # a list of records: one card per contract on a phone

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self._spend: dict[int, int] | None = None

    def render_live_status(self, record: Any, value: str) -> str:
        if record.ended_on:
            return f"{value} on {record.ended_on:%-d %b %Y}"
        return value

    def _spend_of(self, record: Any) -> int:
        if self._spend is None:
            ids = [row.pk for row in self.data]
            self._spend = contracts_spend_to_date(ids, today=self.today or timezone.localdate())
        return self._spend.get(record.pk, 0)

    def value_spend_to_date(self, record: Any) -> str:
        return str(pounds_decimal(self._spend_of(record)))

    def value_share_used(self, record: Any) -> str:
        share = percent(self._spend_of(record), pence_from_decimal(record.awarded_value))
        return "" if share is None else str(share)


class ForwardPlanTable(tables.Table):
    caption = "Contracts ending in the next 24 months"
    quarter = tables.Column(empty_values=(), orderable=False, verbose_name="Quarter ending")
    reference = tables.Column(linkify=True, orderable=False, attrs={"a": {"class": "govuk-link"}})
    title = tables.Column(orderable=False)
    department = tables.Column(orderable=False)
    end_date = DateColumn(orderable=False)
    awarded_value = PoundsColumn(verbose_name="Value", orderable=False)
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
    end_date = DateColumn(verbose_name="End", default=NOT_RECORDED)
    awarded_value = PoundsColumn(verbose_name="Value")
    live_status = tables.Column(verbose_name="Status")

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        per_page = 25
        order_by = ("end_date", "reference")
        empty_text = "No published contracts match."
        attrs = {"class": STACK}  # a list of records: one card per contract on a phone

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


class OffContractTable(tables.Table):
    """Suppliers paid at least the threshold in a year with no contract behind the payments.

    Rows are ``contracts.selectors.OffContractSupplier``; ``found`` is the list they come
    from (its year and category filter make the drill-down link)."""

    supplier = tables.Column(verbose_name="Supplier", accessor="supplier__name", orderable=False)
    supplier_number = tables.Column(
        verbose_name="Supplier number", accessor="supplier__supplier_number", orderable=False
    )
    company_number = tables.Column(
        verbose_name="Company number", accessor="supplier__company_number", orderable=False
    )
    main_category = tables.Column(verbose_name="Main category", orderable=False)
    spend_pence = PenceColumn(verbose_name="Spend with no contract", orderable=False)
    action = tables.Column(
        verbose_name="Action", empty_values=(), orderable=False, exclude_from_export=True
    )

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        empty_text = "No supplier was paid this much with no contract behind the payments."

    def __init__(self, found: Any, *args: Any, can_create: bool = False, **kwargs: Any) -> None:
        # The suppliers as they are: a page builds only the rows it shows (list() would build
        # all of them; see OffContractSuppliers).
        super().__init__(TableListData(found.suppliers if found else []), *args, **kwargs)
        self.found = found
        if not can_create:
            self.columns.hide("action")

    def render_supplier(self, record: Any, value: str) -> str:
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>',
            reverse("spend:supplier", args=[record.supplier.pk]),
            value,
        )

    def render_spend_pence(self, record: Any, value: int) -> str:
        # The drill-down: the payments page, filtered to this figure's payments.
        url = payments_url(
            fy=self.found.fy,
            supplier=record.supplier.pk,
            category=self.found.category,
            off_contract="true",
        )
        return format_html('<a class="govuk-link" href="{}">{}</a>', url, pounds_whole(value))

    def value_spend_pence(self, value: int) -> Decimal:
        return pounds_decimal(value)

    def render_action(self, record: Any) -> str:
        return format_html(
            '<a class="govuk-link" href="{}?ledger_supplier={}">Create a contract'
            '<span class="govuk-visually-hidden"> for {}</span></a>',
            reverse("contracts:create"),
            record.supplier.pk,
            record.supplier.name,
        )


class OffContractCategoryTable(tables.Table):
    category = tables.Column(verbose_name="Category", orderable=False)
    spend_pence = PenceColumn(verbose_name="Spend with no contract", orderable=False)

    class Meta:
        template_name = "portal/tables/govuk_table.html"
        empty_text = "None."
