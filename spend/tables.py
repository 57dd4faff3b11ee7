"""django-tables2 tables for the spend pages (GOV.UK markup, ``_export=csv|xlsx``).

Money is held in integer pence; on screen it prints as the report prints it (whole pounds,
or pounds and pence for single payments); in exports it is pounds with two decimals as a
number. Percentages are whole numbers; "-" where there is no figure.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django_tables2.data import TableListData
from django_tables2.utils import OrderBy

from portal.formatting import (
    DASH,
    financial_year_label,
    month_label,
    percent_text,
)
from portal.tables import NUMERIC, TEMPLATE, CountColumn, PenceColumn, PercentColumn

# Invoice and payment numbers stay on one line.
NOWRAP = {"td": {"class": "portal-nowrap"}}


def payments_url(**params: Any) -> str:
    """The payments page filtered to the payments that make up a figure."""
    query = {k: v for k, v in params.items() if v is not None and v != ""}
    return f"{reverse('spend:payments')}?{urlencode(query)}"


class DictRowsData(TableListData):
    """Rows that are dicts of plain values, sorted with ``itemgetter``.

    django-tables2 sorts a list through an accessor per cell, about 180 ms for 20,000
    suppliers; sorting on the dict keys directly takes a twentieth of that, which matters on a
    page that re-sorts every request."""

    def order_by(self, aliases: Any) -> None:
        fields: list[str] = []
        for alias in aliases:
            column = self.table.columns[OrderBy(alias).bare]
            fields += (
                column.order_by.opposite
                if alias[0] != column.order_by_alias[0]
                else column.order_by
            )
        names = [OrderBy(f).bare for f in fields]
        descending = {OrderBy(f).is_descending for f in fields}
        if len(descending) != 1 or any("." in n or "__" in n for n in names):
            super().order_by(aliases)  # mixed directions or related lookups: the general way
            return
        self.data.sort(key=itemgetter(*names), reverse=descending.pop())


class SupplierSpendTable(tables.Table):
    """Suppliers with spend under the filters: default order spend, biggest first."""

    row_header = True
    name = tables.Column(verbose_name="Supplier", order_by=("name", "supplier_id"))
    supplier_number = tables.Column(verbose_name="Supplier number")
    total = PenceColumn(verbose_name="Spend", order_by=("total", "supplier_id"))
    payments = CountColumn(verbose_name="Payments")

    class Meta:
        template_name = TEMPLATE
        per_page = 50
        order_by = ("-total",)
        empty_text = "No suppliers match these filters."

    def __init__(
        self,
        *args: Any,
        fy: int | None = None,
        filters: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.fy = fy
        self.filters = filters or {}
        label = financial_year_label(fy) if fy else "all years"
        self.caption = f"Suppliers by spend, {label}"
        if args:
            args = (DictRowsData(list(args[0])), *args[1:])
        super().__init__(*args, **kwargs)
        self.columns["total"].column.link = self._payments_link

    def _payments_link(self, record: dict[str, Any]) -> str:
        return payments_url(
            fy=self.fy,
            supplier=record["supplier_id"],
            category=self.filters.get("category"),
            locality=self.filters.get("locality"),
        )

    def render_name(self, value: str, record: dict[str, Any]) -> str:
        url = reverse("spend:supplier", args=[record["supplier_id"]])
        if self.fy:
            url += f"?fy={self.fy}"
        return format_html('<a class="govuk-link" href="{}">{}</a>', url, value)

    def value_name(self, value: str) -> str:
        return value


class PaymentTable(tables.Table):
    payment_date = tables.DateColumn(verbose_name="Paid", format="j M Y")
    supplier = tables.Column(
        verbose_name="Supplier", accessor="supplier__name", order_by=("supplier__name", "id")
    )
    invoice_number = tables.Column(verbose_name="Invoice", attrs=NOWRAP)
    payment_reference = tables.Column(verbose_name="Payment reference", attrs=NOWRAP)
    cost_centre = tables.Column(verbose_name="Cost centre")
    account_description = tables.Column(verbose_name="Expense type")
    category = tables.Column(
        verbose_name="Category",
        accessor="category__name",
        default="Not categorised",
        order_by=("category__name", "id"),
    )
    locality = tables.Column(
        verbose_name="Locality", accessor="site__locality_class", orderable=False
    )
    amount_pence = PenceColumn(verbose_name="Amount", exact=True)

    class Meta:
        template_name = TEMPLATE
        per_page = 100
        order_by = ("-payment_date",)
        empty_text = "No payments match."
        attrs = {"class": "portal-table--stack"}  # one card per payment on a phone

    caption = "Payments"

    def render_supplier(self, value: str, record: Any) -> str:
        return format_html(
            '<a class="govuk-link" href="{}">{}</a>',
            reverse("spend:supplier", args=[record.supplier_id]),
            value,
        )

    def value_supplier(self, value: str) -> str:
        return value

    def render_locality(self, record: Any) -> str:
        return str(record.site.get_locality_class_display())

    def value_locality(self, record: Any) -> str:
        return str(record.site.get_locality_class_display())

    def value_payment_date(self, value: Any) -> str:
        return value.isoformat()


class MonthTable(tables.Table):
    row_header = True
    month = tables.Column(verbose_name="Month", orderable=False)
    total_pence = PenceColumn(verbose_name="Spend", orderable=False)
    payments = CountColumn(verbose_name="Payments", orderable=False)

    class Meta:
        template_name = TEMPLATE
        empty_text = "No payments."

    def __init__(
        self,
        *args: Any,
        fy: int,
        supplier: int | None = None,
        caption: str = "Spend by month",
        **kwargs: Any,
    ) -> None:
        self.caption = caption
        super().__init__(*args, **kwargs)
        self.columns["total_pence"].column.link = lambda r: (
            payments_url(fy=fy, month=f"{r.month:%Y-%m}", supplier=supplier) if r.payments else None
        )

    def render_month(self, value: Any) -> str:
        return month_label(value)

    def value_month(self, value: Any) -> str:
        return month_label(value)


class TopSupplierTable(tables.Table):
    rank = tables.Column(verbose_name="Rank", orderable=False, attrs=NUMERIC)
    name = tables.Column(verbose_name="Supplier", orderable=False)
    total_pence = PenceColumn(verbose_name="Spend", orderable=False)
    category = tables.Column(verbose_name="Category", orderable=False)

    class Meta:
        template_name = TEMPLATE
        empty_text = "No suppliers were paid this year."

    def __init__(self, *args: Any, fy: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fy = fy
        self.caption = f"Top suppliers by spend, {financial_year_label(fy)}"
        self.columns["total_pence"].column.link = lambda r: payments_url(
            fy=fy, supplier=r.supplier_id
        )

    def render_name(self, value: str, record: Any) -> str:
        return format_html(
            '<a class="govuk-link" href="{}?fy={}">{}</a>',
            reverse("spend:supplier", args=[record.supplier_id]),
            self.fy,
            value,
        )

    def value_name(self, value: str) -> str:
        return value


class LocalityYearTable(tables.Table):
    """The committee report's five-year table: year*, home spend, total, home share."""

    row_header = True
    year = tables.Column(verbose_name="Year", accessor="fy", orderable=False)
    home = PenceColumn(
        verbose_name="Value of spend, supplier with home-area address",
        accessor="shown_home_pence",
        orderable=False,
    )
    total = PenceColumn(
        verbose_name="Total invoice payments reported", accessor="total_pence", orderable=False
    )
    share = PercentColumn(
        verbose_name="% value of spend, supplier with home-area address",
        accessor="home_share",
        orderable=False,
    )

    class Meta:
        template_name = TEMPLATE
        empty_text = "The ledger has no payments yet."

    caption = "Spend with home-area suppliers by financial year"

    def __init__(self, *args: Any, home_label: str = "home-area", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns[
            "home"
        ].column.verbose_name = f"Value of spend, supplier with {home_label} address"
        self.columns[
            "share"
        ].column.verbose_name = f"% value of spend, supplier with {home_label} address"
        self.columns["home"].column.link = lambda r: payments_url(fy=r.fy, locality="home")
        self.columns["total"].column.link = lambda r: payments_url(fy=r.fy)

    def render_year(self, value: int, record: Any) -> str:
        return financial_year_label(value) + ("*" if record.incomplete else "")

    def value_year(self, value: int, record: Any) -> str:
        return financial_year_label(value) + ("*" if record.incomplete else "")


class LocalitySplitTable(tables.Table):
    row_header = True
    year = tables.Column(verbose_name="Year", accessor="fy", orderable=False)
    home_pence = PenceColumn(verbose_name="Home area", orderable=False)
    region_pence = PenceColumn(verbose_name="Rest of region", orderable=False)
    uk_pence = PenceColumn(verbose_name="Rest of UK", orderable=False)
    unknown_pence = PenceColumn(verbose_name="Unknown", orderable=False)
    unknown_share = PercentColumn(verbose_name="Unknown share", orderable=False)

    class Meta:
        template_name = TEMPLATE

    caption = "Spend by locality class of the site paid"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, locality in (
            ("home_pence", "home"),
            ("region_pence", "region"),
            ("uk_pence", "uk"),
            ("unknown_pence", "unknown"),
        ):
            self.columns[name].column.link = lambda r, locality=locality: payments_url(
                fy=r.fy, locality=locality
            )

    def render_year(self, value: int, record: Any) -> str:
        return financial_year_label(value) + ("*" if record.incomplete else "")

    def value_year(self, value: int, record: Any) -> str:
        return financial_year_label(value) + ("*" if record.incomplete else "")

    def render_unknown_share(self, record: Any) -> str:
        return percent_text(record.share_of(record.unknown_pence))

    def value_unknown_share(self, record: Any) -> int | str:
        share = record.share_of(record.unknown_pence)
        return DASH if share is None else share
