"""Reads for the payment duties: the notice's figures, its invoices, scope and the dashboard.

The unit the notice counts is an *invoice payment*: the ledger's distribution lines of one
supplier's invoice paid on one day, netted. Rules (Procurement Regulations 2024 reg 38):
- days to pay run from the invoice day (the day the council received the invoice) to the
  payment date; the day after receipt is day 1, so days = payment date - received date;
- an invoice without a received date takes the council's rule (the invoice date, or it plus
  N days); every figure says which rule and for how many invoice payments it was used;
- credit notes (an invoice payment that nets to nothing or less) are not sums paid: left out
  of the measures, counted and totalled on the page;
- an invoice payment with no received date and no invoice date, or one received after it was
  paid, cannot be measured: left out, counted and listed, never guessed;
- sums payable in the period: paid in scope and open invoices whose due date (the extract's, or
  30 days after receipt, the term s.68(2) implies) falls in the period. Disputed open invoices
  are left out (s.68's 30-day term does not run while an invoice is disputed) and shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar, cast

from django.contrib.postgres.aggregates import ArrayAgg
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from contracts.models import Contract
from contracts.selectors import RULES, payments_for_contract
from payments.models import (
    BaseRate,
    OpenInvoiceImport,
    PaymentDutySettings,
    PaymentsComplianceNotice,
    ScopeExclusion,
)
from payments.periods import Period, periods_between
from portal.formatting import financial_year_of
from spend.models import Category, Supplier

BANDS: tuple[tuple[str, str], ...] = (
    ("1-30", "Paid within 1 to 30 days"),
    ("31-60", "Paid within 31 to 60 days"),
    ("61+", "Paid on or after day 61"),
)
OTHER_LISTS: tuple[tuple[str, str], ...] = (
    ("credit", "Credit notes (left out of the measures)"),
    ("unmeasurable", "Cannot be measured (no dates, or received after payment)"),
    ("unpaid", "Payable in the period and not paid in it"),
    ("disputed", "Disputed at the period's end (left out)"),
)
# Implied payment term of s.68(2): 30 days from receipt, when the extract has no due date.
IMPLIED_TERM_DAYS = 30
T = TypeVar("T")
DRILL_LIMIT = 2000


# --- Cache: figures are kept until anything they are made from changes ----------------------

CACHE_SECONDS = 600
# Everything a notice or the dashboard reads, reduced to one string: imports and withdrawals
# (batches; the summary's sequence moves on every change the import makes), merges, SME flags,
# scope, settings, base rates, open invoices. A figure is recomputed when any of it changes.
_VERSION = """
SELECT concat_ws('|',
    (SELECT last_value FROM spend_spendsummary_id_seq),
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(finished_at)::text, '')
       FROM spend_importbatch),
    (SELECT count(*) || ':' || coalesce(max(performed_at)::text, '') || ':'
            || coalesce(max(undone_at)::text, '') FROM spend_suppliermerge),
    (SELECT count(*) FILTER (WHERE is_sme) || ':' || count(*) FILTER (WHERE NOT is_sme)
       FROM spend_supplier),
    (SELECT coalesce(string_agg(id || ':' || coalesce(category_id::text, '') || ':'
                                || account_prefix, ',' ORDER BY id), '')
       FROM payments_scopeexclusion),
    (SELECT coalesce(max(updated_at)::text, '') FROM payments_paymentdutysettings),
    (SELECT coalesce(string_agg(effective_from || ':' || rate, ',' ORDER BY effective_from), '')
       FROM payments_baserate),
    (SELECT count(*) || ':' || coalesce(max(id), 0) FROM payments_openinvoiceimport),
    current_database())
"""


@contextmanager
def _big_query() -> Iterator[Any]:
    """A cursor whose queries may hash a period's invoices in memory (the default work_mem
    spills a six-month period of a county's invoices to disk)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        yield cursor


def figures_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION)
        return str(cursor.fetchone()[0])


def _cached(name: str, compute: Callable[[], T]) -> T:
    key = "payments:" + hashlib.sha256(f"{figures_version()}|{name}".encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return cast(T, value)


def duty_settings() -> PaymentDutySettings:
    found = PaymentDutySettings.objects.first()
    return found if found is not None else PaymentDutySettings()


def exclusions() -> list[ScopeExclusion]:
    return list(ScopeExclusion.objects.select_related("category"))


@dataclass(frozen=True)
class Scope:
    """The exclusions as the SQL takes them."""

    category_ids: list[int]
    prefixes: list[str]  # LIKE patterns, 'prefix%'

    @classmethod
    def current(cls) -> Scope:
        rules = exclusions()
        return cls(
            [r.category_id for r in rules if r.category_id is not None],
            [_like_prefix(r.account_prefix) for r in rules if r.account_prefix],
        )


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# The invoice payments of a date range, in scope. {extra} adds columns a caller groups by.
_INVOICES = """
WITH lines AS (
    SELECT p.supplier_id, coalesce(nullif(p.invoice_number, ''), p.natural_key) AS invoice,
           p.payment_date, p.amount_pence, p.received_date, p.invoice_date, p.due_date,
           p.cost_centre, p.category_id
    FROM spend_payment p
    WHERE p.is_spend AND p.financial_year = %(fy)s
      AND p.payment_date BETWEEN %(start)s AND %(end)s
      AND NOT (coalesce(p.category_id = ANY(%(categories)s::bigint[]), false)
               OR p.account LIKE ANY(%(prefixes)s::text[]))
), invoices AS (
    SELECT supplier_id, invoice, payment_date, sum(amount_pence) AS amount,
           min(received_date) AS received_date, min(invoice_date) AS invoice_date,
           min(due_date) AS due_date, min(cost_centre) AS cost_centre,
           min(category_id) AS category_id
    FROM lines GROUP BY supplier_id, invoice, payment_date
), measured AS (
    SELECT i.*, coalesce(i.received_date, i.invoice_date + %(days_added)s) AS received,
           i.received_date IS NULL AND i.invoice_date IS NOT NULL AS fallback,
           i.payment_date - coalesce(i.received_date, i.invoice_date + %(days_added)s) AS days
    FROM invoices i
)
"""

_FIGURES = (
    _INVOICES
    + """
SELECT
    count(*) FILTER (WHERE amount > 0 AND days >= 0),
    coalesce(sum(days) FILTER (WHERE amount > 0 AND days >= 0), 0),
    count(*) FILTER (WHERE amount > 0 AND days BETWEEN 0 AND 30),
    count(*) FILTER (WHERE amount > 0 AND days BETWEEN 31 AND 60),
    count(*) FILTER (WHERE amount > 0 AND days >= 61),
    count(*) FILTER (WHERE amount > 0 AND days >= 0 AND fallback),
    coalesce(sum(amount) FILTER (WHERE amount > 0 AND days >= 0), 0),
    count(*) FILTER (WHERE amount <= 0),
    coalesce(sum(amount) FILTER (WHERE amount <= 0), 0),
    count(*) FILTER (WHERE amount > 0 AND (days IS NULL OR days < 0)),
    coalesce(sum(amount) FILTER (WHERE amount > 0 AND (days IS NULL OR days < 0)), 0),
    count(*) FILTER (WHERE amount > 0 AND received IS NOT NULL
                     AND coalesce(due_date, received + %(term)s) BETWEEN %(start)s AND %(end)s)
FROM measured
"""
)

# What the exclusions take out of the period, by category and account: few groups, which
# ``_excluded_amounts`` gives to the first exclusion (oldest first) each one meets.
_EXCLUDED = """
SELECT p.category_id, p.account, count(*), coalesce(sum(p.amount_pence), 0)
FROM spend_payment p
WHERE p.is_spend AND p.financial_year = %(fy)s
  AND p.payment_date BETWEEN %(start)s AND %(end)s
  AND (coalesce(p.category_id = ANY(%(categories)s::bigint[]), false)
       OR p.account LIKE ANY(%(prefixes)s::text[]))
GROUP BY p.category_id, p.account
"""


def _params(
    period_start: dt.date, period_end: dt.date, scope: Scope, days_added: int
) -> dict[str, Any]:
    # Every reporting period, quarter and dashboard year lies within one financial year, so
    # the ledger's (financial year, payment date) index finds its payments.
    fy = financial_year_of(period_start)
    if financial_year_of(period_end) != fy:
        raise ValueError("The figures are worked out within one financial year at a time.")
    return {
        "fy": fy,
        "start": period_start,
        "end": period_end,
        "categories": scope.category_ids,
        "prefixes": scope.prefixes,
        "days_added": days_added,
        "term": IMPLIED_TERM_DAYS,
    }


def percent_1dp(part: int, whole: int) -> Decimal | None:
    """A percentage to one decimal place, rounded half up; None when there is no whole."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class ExcludedAmount:
    label: str
    reason: str
    lines: int
    pence: int


@dataclass
class NoticeFigures:
    """Every figure of a notice, with what went into each (JSON-able through ``as_json``)."""

    period_start: dt.date
    period_end: dt.date
    statutory: bool
    received_rule: str
    invoices_paid: int  # measured invoice payments
    total_days: int
    band_counts: dict[str, int]
    fallback_count: int
    paid_pence: int
    credit_count: int
    credit_pence: int
    unmeasurable_count: int
    unmeasurable_pence: int
    # Sums payable in the period: paid in it, and open at its end (None: no open-items file).
    payable_paid_count: int
    open_import_id: int | None
    open_as_at: dt.date | None
    unpaid_count: int | None
    unpaid_pence: int | None
    disputed_count: int | None
    disputed_pence: int | None
    excluded: list[ExcludedAmount] = field(default_factory=list)

    @property
    def average_days(self) -> Decimal | None:
        if not self.invoices_paid:
            return None
        return (Decimal(self.total_days) / self.invoices_paid).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )

    @property
    def band_percents(self) -> dict[str, Decimal | None]:
        return {key: percent_1dp(n, self.invoices_paid) for key, n in self.band_counts.items()}

    @property
    def payable_count(self) -> int | None:
        if self.unpaid_count is None:
            return None
        return self.payable_paid_count + self.unpaid_count

    @property
    def unpaid_percent(self) -> Decimal | None:
        payable = self.payable_count
        if payable is None or self.unpaid_count is None:
            return None
        return percent_1dp(self.unpaid_count, payable)

    @property
    def excluded_pence(self) -> int:
        return sum(e.pence for e in self.excluded)

    @property
    def rule_sentence(self) -> str:
        """What every figure says about received dates."""
        if not self.fallback_count:
            return "Every invoice payment measured has its received date from the extract."
        return (
            f"{self.fallback_count:,} of {self.invoices_paid:,} invoice payments measured had no "
            f"received date; for these the portal used {self.received_rule}."
        )

    @property
    def complete(self) -> bool:
        """All the notice needs is here (the unpaid figure needs the open invoices)."""
        return self.unpaid_count is not None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("period_start", "period_end", "open_as_at"):
            value = data[key]
            data[key] = value.isoformat() if value else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeFigures:
        values = {k: v for k, v in data.items() if k != "authority"}
        for key in ("period_start", "period_end", "open_as_at"):
            if values.get(key):
                values[key] = dt.date.fromisoformat(values[key])
        values["excluded"] = [ExcludedAmount(**e) for e in values.get("excluded", [])]
        return cls(**values)


def open_import_at(as_at: dt.date) -> OpenInvoiceImport | None:
    return (
        OpenInvoiceImport.objects.filter(as_at=as_at, status=OpenInvoiceImport.Status.LOADED)
        .order_by("-created_at")
        .first()
    )


_OPEN = """
WITH o AS (
    SELECT o.*, coalesce(o.received_date, o.invoice_date + %(days_added)s) AS received,
           coalesce(o.due_date,
                    coalesce(o.received_date, o.invoice_date + %(days_added)s) + %(term)s) AS due
    FROM payments_openinvoice o
    WHERE o.batch_id = %(batch)s AND o.amount_pence > 0
      AND NOT (coalesce(o.category_id = ANY(%(categories)s::bigint[]), false)
               OR o.account LIKE ANY(%(prefixes)s::text[]))
), payable AS (
    SELECT * FROM o WHERE due BETWEEN %(start)s AND %(end)s
)
"""

_OPEN_FIGURES = (
    _OPEN
    + """
SELECT count(*) FILTER (WHERE NOT disputed),
       coalesce(sum(amount_pence) FILTER (WHERE NOT disputed), 0),
       count(*) FILTER (WHERE disputed), coalesce(sum(amount_pence) FILTER (WHERE disputed), 0)
FROM payable
"""
)

_OPEN_DRILL = (
    _OPEN
    + """
SELECT supplier_number, supplier_name, invoice_number, invoice_date, received_date, received,
       received_date IS NULL AND received IS NOT NULL, due, amount_pence, disputed
FROM payable WHERE disputed = %(disputed)s
ORDER BY due, supplier_number, invoice_number
LIMIT %(limit)s
"""
)


def _excluded_amounts(rows: list[tuple[Any, ...]]) -> list[ExcludedAmount]:
    rules = sorted(exclusions(), key=lambda r: r.pk)
    totals = {rule.pk: [0, 0] for rule in rules}
    for category_id, account, lines, pence in rows:
        for rule in rules:
            if (rule.category_id is not None and rule.category_id == category_id) or (
                rule.account_prefix and (account or "").startswith(rule.account_prefix)
            ):
                totals[rule.pk][0] += int(lines)
                totals[rule.pk][1] += int(pence)
                break
    return [
        ExcludedAmount(rule.label, rule.reason, *totals[rule.pk])
        for rule in sorted(rules, key=lambda r: (r.category_id is None, r.label))
    ]


def notice_figures(period: Period, *, fresh: bool = False) -> NoticeFigures:
    """The notice's figures for a period, from the ledger and the open invoices as they are
    (from the cache while none of it has changed, unless ``fresh``)."""
    if not fresh:
        return _cached(f"notice:{period.slug}:{period.end}", lambda: _notice_figures(period))
    return _notice_figures(period)


def _notice_figures(period: Period) -> NoticeFigures:
    settings = duty_settings()
    scope = Scope.current()
    params = _params(period.start, period.end, scope, settings.days_added)
    with _big_query() as cursor:
        cursor.execute(_FIGURES, params)
        row = cursor.fetchone()
        cursor.execute(_EXCLUDED, params)
        excluded = _excluded_amounts(cursor.fetchall())
        batch = open_import_at(period.end)
        open_figures = None
        if batch is not None:
            cursor.execute(_OPEN_FIGURES, {**params, "batch": batch.pk})
            open_figures = [int(v) for v in cursor.fetchone()]
    (
        measured, total_days, b1, b2, b3, fallback, paid_pence, credits, credit_pence,
        unmeasurable, unmeasurable_pence, payable_paid,
    ) = row  # fmt: skip
    unpaid_count = unpaid_pence = disputed_count = disputed_pence = None
    if open_figures is not None:
        unpaid_count, unpaid_pence, disputed_count, disputed_pence = open_figures
    return NoticeFigures(
        period_start=period.start,
        period_end=period.end,
        statutory=period.statutory,
        received_rule=settings.rule_text,
        invoices_paid=measured,
        total_days=int(total_days),
        band_counts={"1-30": b1, "31-60": b2, "61+": b3},
        fallback_count=fallback,
        paid_pence=int(paid_pence),
        credit_count=credits,
        credit_pence=int(credit_pence),
        unmeasurable_count=unmeasurable,
        unmeasurable_pence=int(unmeasurable_pence),
        payable_paid_count=payable_paid,
        open_import_id=batch.pk if batch else None,
        open_as_at=batch.as_at if batch else None,
        unpaid_count=unpaid_count,
        unpaid_pence=unpaid_pence,
        disputed_count=disputed_count,
        disputed_pence=disputed_pence,
        excluded=excluded,
    )


_BAND_WHERE = {
    "1-30": "amount > 0 AND days BETWEEN 0 AND 30",
    "31-60": "amount > 0 AND days BETWEEN 31 AND 60",
    "61+": "amount > 0 AND days >= 61",
    "credit": "amount <= 0",
    "unmeasurable": "amount > 0 AND (days IS NULL OR days < 0)",
}

_DRILL = (
    _INVOICES
    + """
SELECT s.supplier_number, s.name, m.invoice, m.invoice_date, m.received_date, m.received,
       m.fallback, m.due_date, m.payment_date, m.days, m.amount
FROM measured m JOIN spend_supplier s ON s.id = m.supplier_id
WHERE {where}
ORDER BY m.days DESC NULLS FIRST, m.payment_date, s.supplier_number, m.invoice
LIMIT %(limit)s
"""
)


@dataclass(frozen=True)
class NoticeInvoice:
    supplier_number: str
    supplier_name: str
    invoice_number: str
    invoice_date: dt.date | None
    received_date: dt.date | None  # from the extract
    received_used: dt.date | None  # what the measure used (the rule's date when fallback)
    fallback: bool
    due_date: dt.date | None
    payment_date: dt.date | None
    days: int | None
    amount_pence: int
    disputed: bool = False


def notice_invoices(period: Period, band: str) -> list[NoticeInvoice]:
    """The invoice payments behind one figure (at most DRILL_LIMIT, longest to pay first),
    cached like the figures."""
    return _cached(
        f"invoices:{period.slug}:{period.end}:{band}", lambda: _notice_invoices(period, band)
    )


def _notice_invoices(period: Period, band: str) -> list[NoticeInvoice]:
    settings = duty_settings()
    scope = Scope.current()
    params = _params(period.start, period.end, scope, settings.days_added)
    params["limit"] = DRILL_LIMIT
    if band in ("unpaid", "disputed"):
        batch = open_import_at(period.end)
        if batch is None:
            return []
        with _big_query() as cursor:
            cursor.execute(
                _OPEN_DRILL, {**params, "batch": batch.pk, "disputed": band == "disputed"}
            )
            return [
                NoticeInvoice(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], None, None, int(r[8]), r[9]
                )
                for r in cursor.fetchall()
            ]
    where = _BAND_WHERE[band]
    with _big_query() as cursor:
        cursor.execute(_DRILL.format(where=where), params)
        return [
            NoticeInvoice(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], int(r[10]))
            for r in cursor.fetchall()
        ]


def notice_for(period: Period) -> PaymentsComplianceNotice | None:
    return PaymentsComplianceNotice.objects.filter(period_start=period.start).first()


def periods_to_report() -> list[Period]:
    """The periods the ledger has payments in, newest first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(payment_date), max(payment_date) FROM spend_payment")
        first, last = cursor.fetchone()
    if first is None:
        return []
    return periods_between(first, last)


# --- Prompt-payment dashboard --------------------------------------------------------------

DIMENSIONS = ("month", "supplier", "sme", "category", "department")
SUPPLIER_ROWS = 25
DEPARTMENT_ROWS = 100

# One pass over the invoice payments, grouped every way the dashboard shows at once.
_BY = (
    _INVOICES  # noqa: S608 (constants only; values are bound parameters)
    + """
, paid AS (
    SELECT m.*, s.is_sme FROM measured m JOIN spend_supplier s ON s.id = m.supplier_id
    WHERE m.amount > 0 AND m.days >= 0
)
SELECT CASE WHEN GROUPING(date_trunc('month', payment_date)) = 0 THEN 'month'
            WHEN GROUPING(supplier_id) = 0 THEN 'supplier'
            WHEN GROUPING(is_sme) = 0 THEN 'sme'
            WHEN GROUPING(category_id) = 0 THEN 'category'
            WHEN GROUPING(cost_centre) = 0 THEN 'department'
            ELSE 'all' END,
       date_trunc('month', payment_date)::date, supplier_id, is_sme, category_id, cost_centre,
       count(*), sum(days), count(*) FILTER (WHERE days <= 10),
       count(*) FILTER (WHERE days <= 30), count(*) FILTER (WHERE fallback)
FROM paid
GROUP BY GROUPING SETS ((date_trunc('month', payment_date)), (supplier_id), (is_sme),
                        (category_id), (cost_centre), ())
"""
)


@dataclass(frozen=True)
class DaysToPay:
    label: str
    invoices: int
    total_days: int
    within_10: int
    within_30: int
    key: Any = None

    @property
    def average_days(self) -> Decimal | None:
        if not self.invoices:
            return None
        return (Decimal(self.total_days) / self.invoices).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def share_10(self) -> Decimal | None:
        return percent_1dp(self.within_10, self.invoices)

    @property
    def share_30(self) -> Decimal | None:
        return percent_1dp(self.within_30, self.invoices)


@dataclass
class PromptPayment:
    start: dt.date
    end: dt.date
    received_rule: str
    fallback_count: int
    overall: DaysToPay
    by: dict[str, list[DaysToPay]]  # suppliers: the slowest; departments: the busiest
    interest: LateInterest
    supplier_count: int = 0
    department_count: int = 0
    slowest_departments: list[DaysToPay] = field(default_factory=list)

    @property
    def rule_sentence(self) -> str:
        if not self.fallback_count:
            return "Every invoice payment measured has its received date from the extract."
        return (
            f"{self.fallback_count:,} of {self.overall.invoices:,} invoice payments measured had "
            f"no received date; for these the portal used {self.received_rule}."
        )

    @property
    def slowest_suppliers(self) -> list[DaysToPay]:
        return self.by["supplier"][:10]


def prompt_payment(start: dt.date, end: dt.date) -> PromptPayment:
    """Days to pay between two days, every way the dashboard breaks it down, and the interest
    suppliers paid late could claim (cached while nothing it reads changes)."""
    return _cached(f"prompt:{start}:{end}", lambda: _prompt_payment(start, end))


def _prompt_payment(start: dt.date, end: dt.date) -> PromptPayment:
    settings = duty_settings()
    params = _params(start, end, Scope.current(), settings.days_added)
    with _big_query() as cursor:
        cursor.execute(_BY, params)
        rows = cursor.fetchall()
    # A county pays thousands of suppliers and cost centres: the page (and the cache) keep
    # the slowest, and the departments with the most invoice payments.
    suppliers_seen = [r for r in rows if r[0] == "supplier"]
    slowest_ids = {
        r[2]
        for r in sorted(suppliers_seen, key=lambda r: (-Decimal(int(r[7])) / r[6], r[2]))[
            :SUPPLIER_ROWS
        ]
    }
    departments_seen = [r for r in rows if r[0] == "department"]
    busiest = {
        r[5] for r in sorted(departments_seen, key=lambda r: (-r[6], r[5] or ""))[:DEPARTMENT_ROWS]
    }
    names = dict(Supplier.objects.filter(pk__in=slowest_ids).values_list("pk", "name"))
    categories = dict(Category.objects.values_list("pk", "name"))
    by: dict[str, list[DaysToPay]] = {d: [] for d in DIMENSIONS}
    overall = DaysToPay("All", 0, 0, 0, 0)
    fallback = 0
    for kind, month, supplier_id, is_sme, category_id, cost_centre, n, days, d10, d30, fb in rows:
        if kind == "all":
            # A period with no invoice payments sums to NULL: none measured, not an error.
            overall = DaysToPay("All", n or 0, int(days or 0), d10 or 0, d30 or 0)
            fallback = fb
            continue
        key: Any
        if kind == "month":
            key, label = month, f"{month:%B %Y}"
        elif kind == "supplier":
            if supplier_id not in slowest_ids:
                continue
            key, label = supplier_id, names.get(supplier_id, str(supplier_id))
        elif kind == "sme":
            key = is_sme
            label = {True: "SME", False: "Not an SME", None: "Not known"}[is_sme]
        elif kind == "category":
            key, label = category_id, categories.get(category_id, "No category")
        else:
            if cost_centre not in busiest:
                continue
            key, label = cost_centre, cost_centre or "No cost centre"
        by[kind].append(DaysToPay(label, n, int(days), d10, d30, key))
    by["month"].sort(key=lambda r: r.key)
    for dimension in ("category", "department", "sme"):
        by[dimension].sort(key=lambda r: r.label)
    by["supplier"].sort(key=lambda r: (-(r.average_days or 0), r.label))
    return PromptPayment(
        start,
        end,
        settings.rule_text,
        fallback,
        overall,
        by,
        late_interest(start, end),
        supplier_count=len(suppliers_seen),
        department_count=len(departments_seen),
        slowest_departments=sorted(
            (
                DaysToPay(r[5] or "No cost centre", r[6], int(r[7]), r[8], r[9], r[5])
                for r in departments_seen
            ),
            key=lambda r: (-(r.average_days or 0), r.label),
        )[:10],
    )


# Late Payment of Commercial Debts (Interest) Act 1998: 8% over the reference rate, the Bank
# of England base rate in force on 31 December (for interest that starts running January to
# June) or 30 June (July to December) before; simple interest for each day late.
STATUTORY_UPLIFT = Decimal(8)

_LATE = (
    _INVOICES  # noqa: S608 (constants only; values are bound parameters)
    + """
, late AS (
    SELECT m.supplier_id, m.amount, m.payment_date,
           coalesce(m.due_date, m.received + %(term)s) AS due
    FROM measured m
    WHERE m.amount > 0 AND m.payment_date > coalesce(m.due_date, m.received + %(term)s)
), referenced AS (
    SELECT l.*, l.payment_date - l.due AS days_late,
           CASE WHEN extract(month FROM l.due + 1) <= 6
                THEN make_date(extract(year FROM l.due + 1)::int - 1, 12, 31)
                ELSE make_date(extract(year FROM l.due + 1)::int, 6, 30) END AS reference_day
    FROM late l
)
, rates AS (
    -- The rate of each reference day met (a handful), not looked up once per invoice.
    SELECT d.reference_day,
           (SELECT b.rate FROM payments_baserate b WHERE b.effective_from <= d.reference_day
            ORDER BY b.effective_from DESC LIMIT 1) AS rate
    FROM (SELECT DISTINCT reference_day FROM referenced) d
)
SELECT r.supplier_id, count(*), sum(r.amount),
       sum(r.amount * (b.rate + %(uplift)s) / 100 * r.days_late / 365) FILTER (
           WHERE b.rate IS NOT NULL),
       count(*) FILTER (WHERE b.rate IS NULL)
FROM referenced r
JOIN rates b ON b.reference_day = r.reference_day
GROUP BY r.supplier_id
"""
)


@dataclass
class LateInterest:
    late_invoices: int
    late_pence: int
    interest_pence: int
    no_rate: int  # late invoice payments whose reference day precedes every rate on record
    by_supplier: list[tuple[str, int, int]]  # name, late invoice payments, interest (pence)
    latest_rate: Any = None


def late_interest(start: dt.date, end: dt.date) -> LateInterest:
    settings = duty_settings()
    params = _params(start, end, Scope.current(), settings.days_added)
    params["uplift"] = STATUTORY_UPLIFT
    with _big_query() as cursor:
        cursor.execute(_LATE, params)
        rows = cursor.fetchall()
    names = dict(Supplier.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", "name"))

    def pence(value: Decimal | None) -> int:
        return int((value or Decimal(0)).quantize(Decimal(1), ROUND_HALF_UP))

    by_supplier = sorted(
        ((names.get(r[0], str(r[0])), r[1], pence(r[3])) for r in rows),
        key=lambda t: (-t[2], t[0]),
    )
    return LateInterest(
        late_invoices=sum(r[1] for r in rows),
        late_pence=int(sum(r[2] for r in rows)),
        interest_pence=pence(sum((r[3] or Decimal(0) for r in rows), Decimal(0))),
        no_rate=sum(r[4] for r in rows),
        by_supplier=by_supplier[:10],
        latest_rate=BaseRate.objects.order_by("-effective_from").first(),
    )


# --- Payments over £30,000 (Procurement Act 2023 s.70) -------------------------------------

S70_FROM = dt.date(2026, 4, 1)
# "Over £30,000", VAT included: each invoice payment on its own, never added together.
S70_THRESHOLD_PENCE = 3_000_000


@dataclass(frozen=True)
class LargePayment:
    contract_id: int
    contract_reference: str
    contract_title: str
    ocid: str
    supplier_name: str
    supplier_number: str
    company_number: str
    invoice_number: str
    payment_date: dt.date
    amount_pence: int
    # Which of issue 15's rules put the payment under the contract (more than one when its
    # lines matched differently, say one line linked by an officer and the rest by supplier).
    matched_by: tuple[str, ...] = ()
    also_linked_to: tuple[str, ...] = ()


def _invoice_payments_over_threshold(contract: Any, start: dt.date, end: dt.date) -> Any:
    """The contract's invoice payments (lines of one invoice paid on one day, netted) made
    between two days that come to more than £30,000, with the rules that matched them.

    Which payments are the contract's is ``contracts.selectors.payments_for_contract``'s to
    say (an officer's link, else a contract or order reference, else supplier and dates):
    the one rule the contract page and the off-contract list follow too."""

    return (
        payments_for_contract(contract, today=end)
        .filter(payment_date__gte=start, payment_date__lte=end)
        .annotate(invoice=Coalesce(NullIf(F("invoice_number"), Value("")), F("natural_key")))
        .values(
            "supplier__name",
            "supplier__supplier_number",
            "supplier__company_number",
            "invoice",
            "payment_date",
        )
        .annotate(total=Sum("amount_pence"), rules=ArrayAgg("matched_by", distinct=True))
        .filter(total__gt=S70_THRESHOLD_PENCE)
        .order_by()
    )


def payments_over_threshold(start: dt.date, end: dt.date) -> list[LargePayment]:
    """Each invoice payment over £30,000 made between two days under a contract whose
    procurement began on or after 1 April 2026. A payment the rules give to two contracts
    (two contracts of one supplier whose dates overlap) is listed under each, with the other
    named, so an officer decides (never a silent pick)."""

    contracts = Contract.objects.filter(
        status=Contract.Status.REGISTERED, procurement_start_date__gte=S70_FROM
    )
    found: list[LargePayment] = []
    for contract in contracts:
        for row in _invoice_payments_over_threshold(contract, start, end):
            found.append(
                LargePayment(
                    contract.pk,
                    contract.reference,
                    contract.title,
                    contract.ocid,
                    row["supplier__name"],
                    row["supplier__supplier_number"],
                    row["supplier__company_number"],
                    row["invoice"],
                    row["payment_date"],
                    int(row["total"]),
                    tuple(rule for rule in RULES if rule in row["rules"]),
                )
            )
    by_payment: dict[tuple[str, str, dt.date], list[str]] = {}
    for row in found:
        by_payment.setdefault(
            (row.supplier_number, row.invoice_number, row.payment_date), []
        ).append(row.contract_reference)
    return sorted(
        (
            LargePayment(
                **{
                    **asdict(row),
                    "also_linked_to": tuple(
                        r
                        for r in by_payment[
                            (row.supplier_number, row.invoice_number, row.payment_date)
                        ]
                        if r != row.contract_reference
                    ),
                }
            )
            for row in found
        ),
        key=lambda r: (r.payment_date, r.contract_reference, r.supplier_number, r.invoice_number),
    )
