"""Reads of the spend ledger shared by pages, exports and reports: one selector per figure.

Every figure on the spend pages, and in the committee report that reuses them, comes from one
function here, named as the council names the figure. Selectors return plain dataclasses,
dicts and lists with money in integer pence; ``portal.formatting`` prints them.

Dashboards read ``SpendSummary`` (spend per year, month, supplier, locality and category,
rebuilt by every import); the payments drill-down reads ``Payment`` with the same filters, so
the payments behind a figure add up to it.

Rollups of the summary (one per financial year, one across years) are cached, keyed by the
summary's version (``SummaryVersion``, bumped in the same transaction as every summary write),
so a changed summary is never read from a stale cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from portal.exports import csv_cell_sql, csv_date_sql
from portal.formatting import financial_year_label, month_name, percent
from portal.models import Job
from portal.money import pounds_decimal, pounds_sql
from portal.periods import financial_year_of, fy_months
from spend import register_links
from spend.models import (
    Category,
    CategoryRule,
    ImportBatch,
    LocalityClass,
    Payment,
    PaymentQuerySet,
    SpendSummary,
    Supplier,
    SupplierSite,
)

# A year's home-area share is shown as "-" when MORE than this share of its spend is at
# supplier sites whose locality is unknown (no usable postcode): too little to say.
UNKNOWN_LOCALITY_LIMIT = Decimal("0.5")
# "Tail spend": suppliers paid less than this in the year (the committee report uses £100k).
TAIL_THRESHOLD_PENCE = 100_000_00
# The top-supplier shares the committee report quotes.
TOP_SUPPLIER_COUNTS = (20, 40)
# Label for payments whose account code matches no category rule.
UNCATEGORISED = "Not categorised"
# Supplier ranks at which the Pareto curve is drawn (plus the last supplier).
PARETO_RANKS = (1, 5, 10, 20, 40, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)

CACHE_SECONDS = 60 * 60
LOCALITY_ORDER = [LocalityClass.HOME, LocalityClass.REGION, LocalityClass.UK, LocalityClass.UNKNOWN]

T = TypeVar("T")


def import_batches() -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("uploaded_by", "job", "duplicate_of")


# An import refused, failed or held this recently is listed where administrators look first;
# older ones are history (the imports page keeps them all).
IMPORT_ATTENTION_DAYS = 30


def imports_needing_attention(today: dt.date) -> QuerySet[ImportBatch]:
    """Uploads refused, failed or held for a decision in the last 30 days, newest first."""
    since = today - dt.timedelta(days=IMPORT_ATTENTION_DAYS)
    statuses = [ImportBatch.Status.REJECTED, ImportBatch.Status.FAILED, ImportBatch.Status.HELD]
    return (
        import_batches()
        .filter(status__in=statuses, created_at__date__gte=since)
        .order_by("-created_at")
    )


# --- The summary's version and the cache ------------------------------------------------------


# What the summary's version is made of, as a select list: a page that reads another version
# too can read both in one query (summary_version_of makes the version of its first three).
SUMMARY_VERSION_COLUMNS = (
    "(SELECT version FROM spend_summaryversion WHERE id = 1), "
    "(SELECT last_value FROM spend_spendsummary_id_seq), current_database()"
)


def summary_version() -> str:
    """Changes with every write to the summary: the version row is bumped in the same
    transaction (spend.ingest.load.BUMP_SUMMARY_VERSION), in-place updates included."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {SUMMARY_VERSION_COLUMNS}")
        return summary_version_of(cursor.fetchone())


def summary_version_of(row: Sequence[Any]) -> str:
    version, last_value, database = row[:3]
    return f"{database}:{version or 0}:{last_value}"


# Rollups this process has already read, by summary version and name: a page reads several
# figures from one rollup, and a newer version simply misses. Bounded, oldest dropped first.
_LOCAL: OrderedDict[str, Any] = OrderedDict()
_LOCAL_LIMIT = 256
_pinned_version: ContextVar[str | None] = ContextVar("spend_summary_version", default=None)


@contextmanager
def one_summary_version(version: str | None = None) -> Iterator[None]:
    """Read every figure in the block from the same summary version (one version query, or
    none when the caller read ``version`` already).

    Pages and reports wrap their selector calls in it: all their figures agree even if an
    import finishes halfway through, and the version is looked up once, not per figure."""
    token = _pinned_version.set(version or summary_version())
    try:
        yield
    finally:
        _pinned_version.reset(token)


def current_summary_version() -> str:
    """The summary's version: the one ``one_summary_version`` pinned, else looked up."""
    return _pinned_version.get() or summary_version()


def _cached(name: str, compute: Callable[[], T]) -> T:
    key = f"spend-selectors:{current_summary_version()}:{name}"
    if key in _LOCAL:
        _LOCAL.move_to_end(key)
        return cast(T, _LOCAL[key])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    _LOCAL[key] = value
    while len(_LOCAL) > _LOCAL_LIMIT:
        _LOCAL.popitem(last=False)
    return value


def dashboards_warm(years: int = 2) -> list[int]:
    """Compute the rollups the spend pages open with for the latest ``years`` financial years,
    so the first reader after an import does not wait for them (seconds on a large ledger).
    Returns the years warmed."""
    with one_summary_version():
        warmed = financial_years()[-years:]
        locality_by_year()
        for fy in warmed:
            spend_total(fy)  # the year's rollup: overview, months, categories, locality
            suppliers_paid(fy)  # the year's supplier totals: tail, Pareto, shares
            top_suppliers(fy)
            supplier_spend(fy=fy)  # the supplier table as it opens, unfiltered
    return warmed


# --- Years and months -------------------------------------------------------------------------


def financial_years() -> list[int]:
    """Financial years the ledger has spend for, oldest first."""
    return _cached("years", lambda: sorted(_locality_rollup()))


def latest_financial_year() -> int | None:
    """The newest financial year the ledger holds payments for (None when it holds none)."""
    years = financial_years()
    return years[-1] if years else None


@dataclass(frozen=True)
class _YearRow:
    month: dt.date
    locality_class: str
    category_id: int | None
    total_pence: int
    payments: int


def _year_rollup(fy: int) -> list[_YearRow]:
    """The year's summary by month, locality and category (a few hundred rows at most)."""

    def compute() -> list[_YearRow]:
        rows = (
            SpendSummary.objects.filter(financial_year=fy)
            .values("month", "locality_class", "category_id")
            .annotate(total=Sum("total_pence"), payments=Sum("payment_count"))
            .order_by()
        )
        return [
            _YearRow(
                r["month"],
                r["locality_class"],
                r["category_id"],
                int(r["total"]),
                int(r["payments"]),
            )
            for r in rows
        ]

    return _cached(f"year:{fy}", compute)


def _supplier_totals(fy: int) -> list[tuple[int, int, int]]:
    """(supplier id, spend, payments) for every supplier paid in the year, biggest first.

    Ties are broken by supplier id, so the top 20 (and their payments) are always the same.
    Redacted payments are not a supplier: they count in the year's totals, never here."""

    def compute() -> list[tuple[int, int, int]]:
        rows = (
            SpendSummary.objects.filter(financial_year=fy)
            .exclude(supplier__supplier_number=REDACTED_SUPPLIER_NUMBER)
            .values("supplier_id")
            .annotate(total=Sum("total_pence"), payments=Sum("payment_count"))
            .order_by("-total", "supplier_id")
            .values_list("supplier_id", "total", "payments")
        )
        return [(int(s), int(t), int(p)) for s, t, p in rows]

    return _cached(f"suppliers:{fy}", compute)


def _locality_rollup() -> dict[int, dict[str, int]]:
    """Spend per financial year and locality class, across every year."""

    def compute() -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {}
        rows = (
            SpendSummary.objects.values("financial_year", "locality_class")
            .annotate(total=Sum("total_pence"))
            .order_by()
        )
        for r in rows:
            out.setdefault(int(r["financial_year"]), {})[r["locality_class"]] = int(r["total"])
        return out

    return _cached("locality", compute)


# --- Overview -------------------------------------------------------------------------------


def spend_total(fy: int) -> int:
    """Total paid in the year (pence): spend payments net of credit notes."""
    return sum(r.total_pence for r in _year_rollup(fy))


def payment_count(fy: int) -> int:
    """Payments (distribution lines that are spend, credit notes included) in the year."""
    return sum(r.payments for r in _year_rollup(fy))


def redacted_spend(fy: int) -> int:
    """What the year's payments to redacted payees add up to (in the totals, not a supplier)."""

    def compute() -> int:
        return int(
            SpendSummary.objects.filter(
                financial_year=fy, supplier__supplier_number=REDACTED_SUPPLIER_NUMBER
            ).aggregate(total=Sum("total_pence"))["total"]
            or 0
        )

    return _cached(f"redacted:{fy}", compute)


def suppliers_paid(fy: int) -> int:
    """Suppliers with at least one spend payment in the year."""
    return len(_supplier_totals(fy))


@dataclass(frozen=True)
class MonthSpend:
    month: dt.date
    total_pence: int
    payments: int


def spend_by_month(fy: int) -> list[MonthSpend]:
    """The twelve months of the year, April to March, with spend (0 for a month with none)."""
    totals: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for r in _year_rollup(fy):
        totals[r.month][0] += r.total_pence
        totals[r.month][1] += r.payments
    return [
        MonthSpend(m, totals[m][0], totals[m][1]) if m in totals else MonthSpend(m, 0, 0)
        for m in fy_months(fy)
    ]


@dataclass(frozen=True)
class CategorySpend:
    category_id: int | None
    name: str
    total_pence: int
    payments: int
    share: int | None  # whole per cent of the year's spend


def _category_names() -> dict[int, str]:
    return dict(Category.objects.values_list("id", "name"))


def spend_by_category(fy: int) -> list[CategorySpend]:
    """Spend per category, biggest first; payments no rule matches are "Not categorised"."""
    totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for r in _year_rollup(fy):
        totals[r.category_id][0] += r.total_pence
        totals[r.category_id][1] += r.payments
    names = _category_names()
    whole = spend_total(fy)
    rows = [
        CategorySpend(
            cid, names.get(cid, UNCATEGORISED) if cid else UNCATEGORISED, t, p, percent(t, whole)
        )
        for cid, (t, p) in totals.items()
    ]
    return sorted(rows, key=lambda c: (-c.total_pence, c.name))


@dataclass(frozen=True)
class LocalitySpend:
    locality_class: str
    label: str
    total_pence: int
    share: int | None


def spend_by_locality(fy: int) -> list[LocalitySpend]:
    """Spend by locality class of the site paid (home area, rest of region, rest of UK,
    unknown), each with its whole-per-cent share of the year's spend."""
    totals: dict[str, int] = defaultdict(int)
    for r in _year_rollup(fy):
        totals[r.locality_class] += r.total_pence
    whole = sum(totals.values())
    return [
        LocalitySpend(c.value, c.label, totals[c.value], percent(totals[c.value], whole))
        for c in LOCALITY_ORDER
    ]


@dataclass(frozen=True)
class YearCompleteness:
    fy: int
    months_expected: list[dt.date]  # months of the year that have begun
    months_missing: list[dt.date]  # of those, the ones with no spend payments at all

    @property
    def complete(self) -> bool:
        return not self.months_missing

    @property
    def in_progress(self) -> bool:
        return len(self.months_expected) < 12

    @property
    def missing_text(self) -> str:
        return ", ".join(month_name(m) for m in self.months_missing)

    @property
    def explanation(self) -> str:
        label = financial_year_label(self.fy)
        if self.months_missing:
            return f"{label} is incomplete: no payments for {self.missing_text}."
        if self.in_progress:
            return f"{label} is the current year: figures to date."
        return ""


def year_completeness(fy: int, today: dt.date | None = None) -> YearCompleteness:
    """Which months of the year have no payments: a year is incomplete when any month up to
    today has none (a month that has begun counts; later months of the current year do not)."""
    today = today or timezone.localdate()
    expected = [m for m in fy_months(fy) if m <= today]
    paid = {r.month for r in _year_rollup(fy) if r.payments}
    return YearCompleteness(fy, expected, [m for m in expected if m not in paid])


# --- Suppliers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierSpend:
    supplier_id: int
    name: str
    supplier_number: str
    total_pence: int
    payments: int
    category: str  # the category with most of the supplier's spend that year
    rank: int


def _main_categories(fy: int, supplier_ids: list[int]) -> dict[int, str]:
    rows = (
        SpendSummary.objects.filter(financial_year=fy, supplier_id__in=supplier_ids)
        .values("supplier_id", "category_id")
        .annotate(total=Sum("total_pence"))
        .order_by("supplier_id", "-total", "category_id")
    )
    names = _category_names()
    out: dict[int, str] = {}
    for r in rows:
        if r["supplier_id"] not in out:
            cid = r["category_id"]
            out[r["supplier_id"]] = names.get(cid, UNCATEGORISED) if cid else UNCATEGORISED
    return out


def top_suppliers(fy: int, n: int = 20) -> list[SupplierSpend]:
    """The year's n biggest suppliers by spend, with each one's main category."""

    def compute() -> list[SupplierSpend]:
        top = _supplier_totals(fy)[:n]
        ids = [s for s, _, _ in top]
        suppliers = {
            s.pk: s
            for s in Supplier.objects.filter(pk__in=ids).only("id", "name", "supplier_number")
        }
        categories = _main_categories(fy, ids)
        return [
            SupplierSpend(
                s,
                suppliers[s].name,
                suppliers[s].supplier_number,
                t,
                p,
                categories.get(s, UNCATEGORISED),
                rank,
            )
            for rank, (s, t, p) in enumerate(top, start=1)
        ]

    return _cached(f"top:{fy}:{n}", compute)


def top_supplier_ids(fy: int, n: int) -> list[int]:
    return [s for s, _, _ in _supplier_totals(fy)[:n]]


@dataclass(frozen=True)
class TopShare:
    fy: int
    n: int
    total_pence: int  # what the top n add up to
    share: int | None  # of the year's spend, whole per cent


def top_suppliers_share(fy: int, n: int) -> TopShare:
    """What the year's top n suppliers add up to, and their share of the year's spend."""
    totals = _supplier_totals(fy)
    top = sum(t for _, t, _ in totals[:n])
    return TopShare(fy, n, top, percent(top, spend_total(fy)))


@dataclass(frozen=True)
class TailSpend:
    fy: int
    threshold_pence: int
    suppliers: int  # suppliers paid less than the threshold in the year
    total_pence: int  # what they add up to
    payments: int
    suppliers_paid: int  # all suppliers paid in the year
    year_total_pence: int

    @property
    def supplier_share(self) -> int | None:
        return percent(self.suppliers, self.suppliers_paid)

    @property
    def spend_share(self) -> int | None:
        return percent(self.total_pence, self.year_total_pence)


def tail_spend(fy: int, threshold_pence: int = TAIL_THRESHOLD_PENCE) -> TailSpend:
    """Suppliers whose spend in the year (net of credit notes) is under the threshold."""
    totals = _supplier_totals(fy)
    tail = [(t, p) for _, t, p in totals if t < threshold_pence]
    return TailSpend(
        fy,
        threshold_pence,
        len(tail),
        sum(t for t, _ in tail),
        sum(p for _, p in tail),
        len(totals),
        spend_total(fy),
    )


def tail_supplier_ids(fy: int, threshold_pence: int) -> list[int]:
    return [s for s, t, _ in _supplier_totals(fy) if t < threshold_pence]


@dataclass(frozen=True)
class ParetoPoint:
    suppliers: int  # the top this many suppliers…
    total_pence: int  # …add up to this
    supplier_share: int | None  # per cent of the suppliers paid
    spend_share: int | None  # per cent of the year's spend


def spend_pareto(fy: int) -> list[ParetoPoint]:
    """Cumulative spend of the top suppliers at fixed ranks and at the last supplier."""
    totals = _supplier_totals(fy)
    count, whole = len(totals), sum(t for _, t, _ in totals)
    ranks = sorted({r for r in PARETO_RANKS if r < count} | ({count} if count else set()))
    points, running, done = [], 0, 0
    for rank in ranks:
        running += sum(t for _, t, _ in totals[done:rank])
        done = rank
        points.append(ParetoPoint(rank, running, percent(rank, count), percent(running, whole)))
    return points


def supplier_spend(
    *,
    fy: int | None = None,
    category: str | None = None,
    locality: str | None = None,
    q: str | None = None,
    min_pence: int | None = None,
    max_pence: int | None = None,
) -> list[dict[str, Any]]:
    """Suppliers with their spend (and payments) under these filters, as dict rows:
    supplier_id, name, supplier_number, total (pence), payments. Unordered; tables order it.

    ``category`` is a category id or "none" (not categorised); ``locality`` a locality class;
    ``q`` matches the name or the supplier number; the spend range applies to the total."""
    text = (q or "").strip()

    def compute() -> list[dict[str, Any]]:
        rows = SpendSummary.objects.exclude(supplier__supplier_number=REDACTED_SUPPLIER_NUMBER)
        if fy is not None:
            rows = rows.filter(financial_year=fy)
        if category == "none":
            rows = rows.filter(category__isnull=True)
        elif category:
            rows = rows.filter(category_id=int(category))
        if locality:
            rows = rows.filter(locality_class=locality)
        if text:
            rows = rows.filter(
                Q(supplier__name__icontains=text) | Q(supplier__supplier_number=text)
            )
        grouped = (
            rows.values("supplier_id")
            .annotate(total=Sum("total_pence"), payments=Sum("payment_count"))
            .order_by()
        )
        if min_pence is not None:
            grouped = grouped.filter(total__gte=min_pence)
        if max_pence is not None:
            grouped = grouped.filter(total__lte=max_pence)
        found = list(grouped)
        suppliers = {
            pk: (name, number)
            for pk, name, number in Supplier.objects.filter(
                pk__in=[r["supplier_id"] for r in found]
            ).values_list("id", "name", "supplier_number")
        }
        return [
            {
                "supplier_id": r["supplier_id"],
                "name": suppliers[r["supplier_id"]][0],
                "supplier_number": suppliers[r["supplier_id"]][1],
                "total": int(r["total"]),
                "payments": int(r["payments"]),
            }
            for r in found
        ]

    key = f"{fy}:{category}:{locality}:{text.lower()}:{min_pence}:{max_pence}"
    return _cached("supplier-spend:" + hashlib.sha256(key.encode()).hexdigest(), compute)


@dataclass(frozen=True)
class YearSpend:
    fy: int
    total_pence: int
    payments: int


def supplier_spend_by_year(supplier_id: int) -> list[YearSpend]:
    """A supplier's spend in each financial year it was paid, oldest first."""
    rows = (
        SpendSummary.objects.filter(supplier_id=supplier_id)
        .values("financial_year")
        .annotate(total=Sum("total_pence"), payments=Sum("payment_count"))
        .order_by("financial_year")
    )
    return [YearSpend(r["financial_year"], int(r["total"]), int(r["payments"])) for r in rows]


def supplier_spend_by_month(supplier_id: int, fy: int) -> list[MonthSpend]:
    """A supplier's spend in each month of a year (0 for months it was not paid)."""
    rows = {
        r["month"]: r
        for r in SpendSummary.objects.filter(supplier_id=supplier_id, financial_year=fy)
        .values("month")
        .annotate(total=Sum("total_pence"), payments=Sum("payment_count"))
        .order_by()
    }
    return [
        MonthSpend(m, int(rows[m]["total"]), int(rows[m]["payments"]))
        if m in rows
        else MonthSpend(m, 0, 0)
        for m in fy_months(fy)
    ]


def supplier_spend_by_category(supplier_id: int, fy: int) -> list[CategorySpend]:
    rows = (
        SpendSummary.objects.filter(supplier_id=supplier_id, financial_year=fy)
        .values("category_id")
        .annotate(total=Sum("total_pence"), payments=Sum("payment_count"))
        .order_by()
    )
    names = _category_names()
    whole = sum(int(r["total"]) for r in rows)
    out = [
        CategorySpend(
            r["category_id"],
            names.get(r["category_id"], UNCATEGORISED) if r["category_id"] else UNCATEGORISED,
            int(r["total"]),
            int(r["payments"]),
            percent(int(r["total"]), whole),
        )
        for r in rows
    ]
    return sorted(out, key=lambda c: (-c.total_pence, c.name))


@dataclass(frozen=True)
class SiteSpend:
    site_id: int
    site_code: str
    postcode: str
    district: str
    locality_class: str
    locality_label: str
    total_pence: int
    payments: int


def supplier_sites(supplier_id: int, fy: int | None = None) -> list[SiteSpend]:
    """A supplier's sites with their locality class and the spend paid at each."""
    spend_filter = Q(payments__is_spend=True)
    if fy is not None:
        spend_filter &= Q(payments__financial_year=fy)
    sites = (
        SupplierSite.objects.filter(supplier_id=supplier_id)
        .annotate(
            total=Sum("payments__amount_pence", filter=spend_filter),
            count=Count("payments", filter=spend_filter),
        )
        .order_by("site_code", "postcode")
    )
    labels = dict(LocalityClass.choices)
    return [
        SiteSpend(
            s.pk,
            s.site_code,
            s.postcode,
            s.district,
            s.locality_class,
            str(labels.get(s.locality_class, s.locality_class)),
            int(s.total or 0),
            int(s.count),
        )
        for s in sites
    ]


def supplier_contracts(supplier: Supplier) -> list[Any]:
    """Contracts in the register awarded to this supplier (matched by supplier number)."""
    register = register_links.links()
    if not supplier.supplier_number or register is None:
        return []
    return register.supplier_contracts(supplier.supplier_number)


# --- Locality over the years --------------------------------------------------------------


@dataclass(frozen=True)
class LocalityYear:
    fy: int
    home_pence: int
    region_pence: int
    uk_pence: int
    unknown_pence: int
    total_pence: int
    completeness: YearCompleteness

    @property
    def undetermined(self) -> bool:
        """Too little postcode coverage to say: unknown locality is over the limit."""
        return self.total_pence > 0 and (
            Decimal(self.unknown_pence) > UNKNOWN_LOCALITY_LIMIT * Decimal(self.total_pence)
        )

    @property
    def home_share(self) -> int | None:
        """Home-area spend as a whole per cent of the year's spend; None when "-"."""
        return None if self.undetermined else percent(self.home_pence, self.total_pence)

    @property
    def shown_home_pence(self) -> int | None:
        return None if self.undetermined else self.home_pence

    def share_of(self, pence: int) -> int | None:
        return percent(pence, self.total_pence)

    @property
    def incomplete(self) -> bool:
        return not self.completeness.complete


def locality_by_year(
    years: Iterable[int] | None = None, today: dt.date | None = None
) -> list[LocalityYear]:
    """The five-year locality table (every year with data unless ``years`` says which):
    home-area spend, total invoice payments, the home share, and the split by class."""
    rollup = _locality_rollup()
    wanted = sorted(rollup if years is None else set(years) & set(rollup))
    out = []
    for fy in wanted:
        by_class = rollup[fy]
        out.append(
            LocalityYear(
                fy,
                by_class.get("home", 0),
                by_class.get("region", 0),
                by_class.get("uk", 0),
                by_class.get("unknown", 0),
                sum(by_class.values()),
                year_completeness(fy, today),
            )
        )
    return out


# --- Payments (the drill-down) --------------------------------------------------------------


@dataclass
class PaymentFilters:
    """What a figure's payments are: every filter is optional."""

    fy: int | None = None
    month: dt.date | None = None  # first day of a calendar month
    supplier: int | None = None
    category: str | None = None  # a category id, or "none"
    locality: str | None = None
    site: int | None = None
    top: int | None = None  # the year's top n suppliers (needs fy)
    tail: int | None = None  # suppliers under this many pence in the year (needs fy)
    off_contract: bool = False  # only payments no registered contract covers
    contract: int | None = None  # the payments made under this contract (by its rules)
    number: str | None = None  # an invoice or payment number, whole (any case)
    extra: dict[str, Any] = field(default_factory=dict)


def payments(filters: PaymentFilters) -> QuerySet[Payment]:
    """Spend payments matching the filters: the payments that make up a dashboard figure."""
    rows = Payment.objects.spend()
    if filters.fy is not None:
        rows = rows.filter(financial_year=filters.fy)
    if filters.month is not None:
        start = filters.month.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        rows = rows.filter(payment_date__gte=start, payment_date__lt=end)
    if filters.supplier is not None:
        rows = rows.filter(supplier_id=filters.supplier)
    if filters.category == "none":
        rows = rows.filter(category__isnull=True)
    elif filters.category:
        rows = rows.filter(category_id=int(filters.category))
    if filters.locality:
        rows = rows.filter(site__locality_class=filters.locality)
    if filters.site is not None:
        rows = rows.filter(site_id=filters.site)
    if filters.number:
        # "Has invoice X been paid?": the whole number, as the supplier quotes it.
        rows = rows.filter(
            Q(invoice_number__iexact=filters.number) | Q(payment_reference__iexact=filters.number)
        )
    if filters.fy is not None and filters.top is not None:
        rows = rows.filter(supplier_id__in=top_supplier_ids(filters.fy, filters.top))
    if filters.fy is not None and filters.tail is not None:
        rows = rows.filter(supplier_id__in=tail_supplier_ids(filters.fy, filters.tail))
    register = register_links.links()
    if filters.off_contract and register is not None:
        rows = cast(PaymentQuerySet, register.payments_off_contract(rows))
    if filters.contract is not None:
        if register is None:
            return rows.none()
        rows = cast(PaymentQuerySet, register.payments_under_contract(filters.contract, rows))
    return rows


def payments_contract(filters: PaymentFilters) -> Any:
    """The contract the payments are filtered to, if any (for the page to name it)."""
    register = register_links.links()
    if filters.contract is None or register is None:
        return None
    return register.contract(filters.contract)


# The payments export: the columns of the payments table, in its order.
PAYMENTS_EXPORT_HEADER = (
    "Paid",
    "Supplier",
    "Invoice",
    "Payment reference",
    "Cost centre",
    "Expense type",
    "Category",
    "Locality",
    "Amount",
)


def payments_export_rows(payments: QuerySet[Payment]) -> Iterator[tuple[Any, ...]]:
    """The payments as export rows, read through a server-side cursor a few thousand at a
    time, so a download of the whole ledger keeps the web process's memory flat."""
    localities = dict(LocalityClass.choices)
    rows = payments.values_list(
        "payment_date",
        "supplier__name",
        "invoice_number",
        "payment_reference",
        "cost_centre",
        "account_description",
        "category__name",
        "site__locality_class",
        "amount_pence",
    ).iterator(chunk_size=5000)
    for paid, supplier, invoice, reference, cost_centre, expense, category, locality, pence in rows:
        yield (
            paid.isoformat(),
            supplier,
            invoice,
            reference,
            cost_centre,
            expense,
            category or "Not categorised",
            localities.get(locality, ""),
            pounds_decimal(pence),
        )


LOCALITY_LABELS = LocalityClass.choices


def payments_export_query(payments: QuerySet[Payment]) -> QuerySet[Any]:
    """``payments_export_rows`` as one SQL query of CSV cells, for PostgreSQL to write the
    download itself (``portal.exports.csv_copy_response``): the same cells, byte for byte."""
    locality = Case(
        *(
            When(site__locality_class=code, then=Value(label))
            for code, label in LocalityClass.choices
        ),
        default=Value(""),
        output_field=TextField(),
    )
    category = Coalesce(
        NullIf(F("category__name"), Value("")),
        Value("Not categorised"),
        output_field=TextField(),
    )
    return payments.annotate(
        csv_paid=csv_date_sql(F("payment_date")),
        csv_supplier=csv_cell_sql(F("supplier__name")),
        csv_invoice=csv_cell_sql(F("invoice_number")),
        csv_reference=csv_cell_sql(F("payment_reference")),
        csv_cost_centre=csv_cell_sql(F("cost_centre")),
        csv_expense=csv_cell_sql(F("account_description")),
        csv_category=csv_cell_sql(category),
        csv_locality=csv_cell_sql(locality),
        csv_amount=pounds_sql(F("amount_pence")),
    ).values_list(
        "csv_paid",
        "csv_supplier",
        "csv_invoice",
        "csv_reference",
        "csv_cost_centre",
        "csv_expense",
        "csv_category",
        "csv_locality",
        "csv_amount",
    )


@dataclass(frozen=True)
class PaymentTotals:
    total_pence: int
    payments: int


def payments_total(filters: PaymentFilters) -> PaymentTotals:
    """What the filtered payments add up to (the figure the drill-down came from)."""
    result = payments(filters).aggregate(total=Sum("amount_pence"), count=Count("id"))
    return PaymentTotals(int(result["total"] or 0), int(result["count"]))


# --- Transparency: spend over £500 -------------------------------------------------------------

TRANSPARENCY_THRESHOLD_PENCE = 500_00


def transparency_months() -> list[dt.date]:
    """Months that have spend, newest first (each can be published)."""

    def compute() -> list[dt.date]:
        return sorted(SpendSummary.objects.values_list("month", flat=True).distinct(), reverse=True)

    return _cached("transparency-months", compute)


def transparency_payments(
    month: dt.date, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> QuerySet[Payment]:
    """Spend payments in a calendar month whose transaction is worth at least the threshold.

    A transaction is one payment of one invoice to one supplier (its lines can be under the
    threshold on their own, as councils' files show); its worth is the absolute value of its
    lines' sum, so a credit note of £600 is published as -£600."""
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    transaction = Window(
        Sum("amount_pence"),
        partition_by=[F("supplier_id"), F("invoice_number"), F("payment_reference")],
    )
    rows = (
        Payment.objects.spend()
        .filter(payment_date__gte=start, payment_date__lt=end)
        .select_related("supplier")
        .annotate(transaction_pence=transaction)
    )
    return rows.filter(
        Q(transaction_pence__gte=threshold_pence) | Q(transaction_pence__lte=-threshold_pence)
    ).order_by("payment_date", "payment_reference", "invoice_number", "id")


REDACTED_NAME = "Redacted personal data"
REDACTED_SUPPLIER_NUMBER = "NK-REDACTED"
# A payee whose name starts with a personal title is treated as an individual. A council can
# replace the pattern (settings.SPEND_INDIVIDUAL_NAME_PATTERN, a regular expression matched
# case-insensitively; "" turns the name rule off) or turn redaction off altogether
# (settings.SPEND_REDACT_INDIVIDUALS = False).
DEFAULT_INDIVIDUAL_NAME_PATTERN = r"^(mr|mrs|ms|miss|mx|dr|rev|sir|dame)\.?\s+\S"

TRANSPARENCY_HEADER = (
    "Organisation name",
    "Organisation code",
    "Effective date",
    "Service area/department",
    "Expense type",
    "Beneficiary",
    "Supplier number",
    "Transaction number",
    "Amount",
)


def _individual_pattern() -> re.Pattern[str] | None:
    pattern = getattr(settings, "SPEND_INDIVIDUAL_NAME_PATTERN", DEFAULT_INDIVIDUAL_NAME_PATTERN)
    return re.compile(pattern, re.IGNORECASE) if pattern else None


def is_individual(supplier_number: str, name: str, pattern: re.Pattern[str] | None = None) -> bool:
    """A payment to a person, whose name the published file must not show."""
    if supplier_number == REDACTED_SUPPLIER_NUMBER:
        return True
    if name.strip().lower() == REDACTED_NAME.lower():
        return True
    return bool(pattern and pattern.search(name.strip()))


def transparency_rows(
    month: dt.date, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> Iterator[tuple[Any, ...]]:
    """The month's spend-over-the-threshold file, row by row, in TRANSPARENCY_HEADER order.

    Payments to individuals read "Redacted personal data" with no supplier number. Amounts
    are pounds with two decimals (negative for a credit note)."""
    redact = getattr(settings, "SPEND_REDACT_INDIVIDUALS", True)
    pattern = _individual_pattern()
    organisation = settings.COUNCIL_NAME
    code = getattr(settings, "COUNCIL_ORGANISATION_CODE", "")
    rows = transparency_payments(month, threshold_pence).values_list(
        "payment_date",
        "cost_centre",
        "account_description",
        "supplier__name",
        "supplier__supplier_number",
        "payment_reference",
        "invoice_number",
        "amount_pence",
    )
    # Fetched whole (a month is at most some 100,000 rows), not through a server-side cursor:
    # a streamed download the client abandons must not leave a transaction open.
    for day, cost_centre, expense, name, number, reference, invoice, pence in list(rows):
        if redact and is_individual(number, name, pattern):
            name, number = REDACTED_NAME, ""
        yield (
            organisation,
            code,
            f"{day:%d/%m/%Y}",
            cost_centre,
            expense,
            name,
            number,
            reference or invoice,
            pounds_decimal(pence),
        )


def _redacted_supplier_ids() -> list[int]:
    """Suppliers whose name a published file must not show (``is_individual``: the one rule,
    in Python, whatever pattern the council set), for the file that PostgreSQL writes."""
    if not getattr(settings, "SPEND_REDACT_INDIVIDUALS", True):
        return []
    pattern = _individual_pattern()
    return [
        pk
        for pk, number, name in Supplier.objects.values_list("pk", "supplier_number", "name")
        if is_individual(number, name, pattern)
    ]


def transparency_query(
    month: dt.date,
    threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE,
    redacted: list[int] | None = None,
) -> QuerySet[Any]:
    """``transparency_rows`` as one SQL query of CSV cells, for PostgreSQL to write the file
    itself (``portal.exports.csv_copy_response``): the same cells, byte for byte."""
    redacted = _redacted_supplier_ids() if redacted is None else redacted
    is_redacted = Q(supplier_id__in=redacted)
    text: TextField[str, str] = TextField()
    name = Case(When(is_redacted, then=Value(REDACTED_NAME)), default=F("supplier__name"))
    number = Case(When(is_redacted, then=Value("")), default=F("supplier__supplier_number"))
    transaction = Coalesce(NullIf(F("payment_reference"), Value("")), F("invoice_number"))
    return (
        transparency_payments(month, threshold_pence)
        .annotate(
            csv_organisation=csv_cell_sql(Value(settings.COUNCIL_NAME, output_field=text)),
            csv_code=csv_cell_sql(
                Value(getattr(settings, "COUNCIL_ORGANISATION_CODE", ""), output_field=text)
            ),
            csv_day=csv_cell_sql(
                Func(F("payment_date"), Value("DD/MM/YYYY"), function="to_char", output_field=text)
            ),
            csv_cost_centre=csv_cell_sql(F("cost_centre")),
            csv_expense=csv_cell_sql(F("account_description")),
            csv_name=csv_cell_sql(ExpressionWrapper(name, output_field=text)),
            csv_number=csv_cell_sql(ExpressionWrapper(number, output_field=text)),
            csv_transaction=csv_cell_sql(ExpressionWrapper(transaction, output_field=text)),
            csv_amount=pounds_sql(F("amount_pence")),
        )
        .values_list(
            "csv_organisation",
            "csv_code",
            "csv_day",
            "csv_cost_centre",
            "csv_expense",
            "csv_name",
            "csv_number",
            "csv_transaction",
            "csv_amount",
        )
    )


def transparency_year_queries(
    fy: int, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> list[QuerySet[Any]]:
    """``transparency_year_rows`` as its months' queries, April first."""
    with_spend = set(transparency_months())
    redacted = _redacted_supplier_ids()
    return [
        transparency_query(month, threshold_pence, redacted)
        for month in fy_months(fy)
        if month in with_spend
    ]


@dataclass(frozen=True)
class TransparencyMonth:
    month: dt.date
    rows: int | None  # None: no file for the month (the ledger has no spend in it)


@dataclass(frozen=True)
class TransparencyYear:
    fy: int
    months: list[TransparencyMonth]

    @property
    def rows(self) -> int:
        return sum(m.rows or 0 for m in self.months)

    @property
    def missing(self) -> list[dt.date]:
        return [m.month for m in self.months if m.rows is None]


_TRANSPARENCY_COUNTS_SQL = """
SELECT month, sum(lines)::int FROM (
    SELECT date_trunc('month', payment_date)::date AS month, count(*) AS lines,
           sum(amount_pence) AS transaction_pence
      FROM spend_payment
     WHERE is_spend AND financial_year = %(fy)s
     GROUP BY 1, supplier_id, invoice_number, payment_reference
) AS transactions
WHERE transaction_pence >= %(threshold)s OR transaction_pence <= -%(threshold)s
GROUP BY month
"""


def transparency_year_counts(
    fy: int, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> dict[dt.date, int]:
    """How many rows each month's file of a financial year has, in one pass over the year
    (the same transactions as ``transparency_payments``: a month's lines of one payment of
    one invoice to one supplier); kept until the next import changes the ledger."""

    def compute() -> dict[dt.date, int]:
        with connection.cursor() as cursor:
            cursor.execute(_TRANSPARENCY_COUNTS_SQL, {"fy": fy, "threshold": threshold_pence})
            return dict(cursor.fetchall())

    return _cached(f"transparency-counts:{fy}:{threshold_pence}", compute)


def transparency_month_rows(
    month: dt.date, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> int:
    """How many rows a month's file has."""
    return transparency_year_counts(financial_year_of(month), threshold_pence).get(month, 0)


def transparency_years(
    today: dt.date, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> list[TransparencyYear]:
    """The files by financial year, newest first: each month with its row count, and the
    months that have ended with no spend in the ledger (no file: a gap readers should see).
    Months still to come, and this month while it has no spend, are left out."""
    with_spend = set(transparency_months())
    this_month = today.replace(day=1)
    years = sorted({financial_year_of(m) for m in with_spend}, reverse=True)
    found = []
    for fy in years:
        months = [
            TransparencyMonth(
                m, transparency_month_rows(m, threshold_pence) if m in with_spend else None
            )
            for m in reversed(fy_months(fy))
            if m in with_spend or m < this_month
        ]
        found.append(TransparencyYear(fy, months))
    return found


def transparency_year_rows(
    fy: int, threshold_pence: int = TRANSPARENCY_THRESHOLD_PENCE
) -> Iterator[tuple[Any, ...]]:
    """A financial year's file: its months' files one after another, April first, so each
    row is exactly the row its month's file has (redaction and voided payments alike)."""
    with_spend = set(transparency_months())
    for month in fy_months(fy):
        if month in with_spend:
            yield from transparency_rows(month, threshold_pence)


# --- Payments by invoice or payment number (the site search) ----------------------------------

# Shorter than this, a prefix would match too much of a large ledger to be worth listing.
NUMBER_PREFIX_MIN = 3


@dataclass(frozen=True)
class PaymentsByNumber:
    exact_invoice: list[Payment]  # the invoice number as typed: "has invoice X been paid?"
    others: list[Payment]  # payment number as typed, or either number starting with it
    more: bool  # more matched than are listed


def payments_by_number(text: str, limit: int = 20) -> PaymentsByNumber:
    """Payments (voided ones too, marked by ``is_spend``) whose invoice or payment number is
    ``text`` or starts with it, as typed or in capitals. Each clause repeats its index's
    condition (number not blank) so PostgreSQL uses the partial pattern-ops indexes."""
    text = text.strip()
    if not text:
        return PaymentsByNumber([], [], False)
    variants = sorted({text, text.upper()})
    # Suppliers fetched by key afterwards: a join lets the planner hash the whole supplier
    # table for a handful of payments.
    rows = Payment.objects.prefetch_related("supplier").order_by("-payment_date", "-id")
    exact = list(rows.exclude(invoice_number="").filter(invoice_number__in=variants)[:limit])
    matches = Q(payment_reference__in=variants) & ~Q(payment_reference="")
    if len(text) >= NUMBER_PREFIX_MIN:
        for variant in variants:
            matches |= Q(invoice_number__startswith=variant) & ~Q(invoice_number="")
            matches |= Q(payment_reference__startswith=variant) & ~Q(payment_reference="")
    seen = {p.pk for p in exact}
    # Unordered with a limit, the prefix scan stops early however many payments match.
    found = list(Payment.objects.prefetch_related("supplier").filter(matches)[: limit * 2 + 1])
    others = [p for p in found if p.pk not in seen]
    others.sort(key=lambda p: (p.payment_date, p.pk), reverse=True)
    return PaymentsByNumber(exact, others[:limit], len(others) > limit)


# --- Categories ----------------------------------------------------------------------------


def category_rules() -> QuerySet[CategoryRule]:
    return CategoryRule.objects.select_related("category").order_by("account_prefix")


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("name")


def latest_recategorise_job() -> Any:
    return Job.objects.filter(kind="spend.recategorise").order_by("-created_at").first()
