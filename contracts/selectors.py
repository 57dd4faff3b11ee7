"""Reads of the contract register shared by pages, exports and reports.

- ``contracts_list`` / ``contract_search``: the officers' register.
- ``award_monitoring(fy)``: the scrutiny report's monthly award table.
- ``forward_plan(today)``: contracts ending in the next 24 months, by quarter.
- ``latest_publication``, ``published_contracts``: the public register (published only).
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, TypeVar, cast, overload

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from contracts import notices
from contracts.layout import file_headings
from contracts.models import (
    ACT_REGIMES,
    AwardedSupplier,
    Contract,
    ContractChange,
    ContractFields,
    ContractPaymentLink,
    Kpi,
    MainCategory,
    Notice,
    PerformanceFailure,
    PlannedProcurement,
    Publication,
    PublishedContract,
    Regime,
    RegisterUpload,
    Route,
)
from portal.formatting import percent
from portal.locality import LocalityClass, classify_postcode, home_area
from portal.money import pence_from_decimal
from portal.periods import Quarter, financial_year_of, fy_months
from spend.models import Category, Payment, Supplier
from spend.selectors import (
    SUMMARY_VERSION_COLUMNS,
    current_summary_version,
    one_summary_version,
    summary_version_of,
)
from suppliers.selectors import supplier_search

UNCATEGORISED = "Not categorised"  # as the spend pages say it
T = TypeVar("T")

# --- The officers' register -----------------------------------------------------------------


class LiveStatus:
    """A contract's status worked out from its dates on a given day (never stored)."""

    DRAFT = "Draft"
    NOT_STARTED = "Not yet started"
    LIVE = "Live"
    ENDING = "Ending within 6 months"
    ENDED_EARLY = "Ended early"
    EXPIRED = "Expired"

    ALL = (LIVE, ENDING, NOT_STARTED, EXPIRED, ENDED_EARLY, DRAFT)
    PUBLIC = (LIVE, ENDING, NOT_STARTED, EXPIRED)  # a publication has no drafts or early ends


ENDING_MONTHS = 6


def _status_cases(today: date, *, published: bool) -> Case:
    """Draft, then ended early, then by the end date: the first that applies."""
    ending_by = _months_later(today, ENDING_MONTHS)
    whens = []
    if not published:
        whens += [
            When(status=Contract.Status.DRAFT, then=Value(LiveStatus.DRAFT)),
            When(ended_on__isnull=False, then=Value(LiveStatus.ENDED_EARLY)),
        ]
    whens += [
        When(end_date__lt=today, then=Value(LiveStatus.EXPIRED)),
        When(start_date__gt=today, then=Value(LiveStatus.NOT_STARTED)),
        When(end_date__lte=ending_by, then=Value(LiveStatus.ENDING)),
    ]
    # No end date recorded (Contracts Finder notices): live once started, as far as we know.
    return Case(*whens, default=Value(LiveStatus.LIVE), output_field=CharField())


def with_live_status(queryset: QuerySet[Any], today: date) -> QuerySet[Any]:
    """``live_status`` on each contract (live or published), for showing and filtering."""
    published = queryset.model is PublishedContract
    return queryset.annotate(live_status=_status_cases(today, published=published))


def contract_live_status(contract: Contract, today: date) -> str:
    """One contract's status, as ``with_live_status`` works it out in SQL."""
    if contract.status == Contract.Status.DRAFT:
        return LiveStatus.DRAFT
    if contract.ended_on is not None:
        return LiveStatus.ENDED_EARLY
    return published_live_status(contract, today)


def published_live_status(contract: ContractFields, today: date) -> str:
    """The status from the dates alone (a publication's end date already holds an early end)."""
    if contract.end_date is not None and contract.end_date < today:
        return LiveStatus.EXPIRED
    if contract.start_date > today:
        return LiveStatus.NOT_STARTED
    if contract.end_date is not None and contract.end_date <= _months_later(today, ENDING_MONTHS):
        return LiveStatus.ENDING
    return LiveStatus.LIVE


def contracts_list(today: date | None = None) -> QuerySet[Contract]:
    """The register, soonest end date first (no end date last), with its live status."""

    queryset = Contract.objects.annotate(supplier_count=Count("suppliers"))
    if today is not None:
        queryset = with_live_status(queryset, today)
    return queryset.order_by(F("end_date").asc(nulls_last=True), "reference")


def contract_search(queryset: QuerySet[Contract], text: str) -> QuerySet[Contract]:
    """Contracts whose reference, title, department or a supplier's name, supplier number or
    company number contains ``text``."""
    text = text.strip()
    if not text:
        return queryset
    supplier_match = AwardedSupplier.objects.filter(contract=OuterRef("pk")).filter(
        Q(name__icontains=text) | Q(supplier_number__iexact=text) | Q(company_number__iexact=text)
    )
    return queryset.filter(
        Q(reference__icontains=text)
        | Q(title__icontains=text)
        | Q(department__icontains=text)
        | Exists(supplier_match)
    )


def ledger_supplier_search(text: str, limit: int = 20) -> list[Any]:
    """The ledger's suppliers matching a name, supplier number or company number: the picker
    for an awarded supplier, so that contract and ledger share one supplier."""

    return list(supplier_search(text, limit))


def awarded_supplier_from_ledger(supplier_id: int) -> dict[str, Any] | None:
    """An awarded supplier's fields filled from a ledger supplier (None if there is none)."""

    supplier = Supplier.objects.filter(pk=supplier_id).first()
    if supplier is None:
        return None
    site = supplier.sites.exclude(postcode="").order_by("pk").first()
    return {
        "name": supplier.name,
        "supplier_number": supplier.supplier_number,
        "company_number": supplier.company_number,
        "postcode": site.postcode if site else "",
        "sme": supplier.is_sme,
        "vcfs": supplier.is_vcfs,
    }


def contract_for_page(pk: int) -> Contract | None:
    """The contract, with whether it has any changes, KPIs, failures and notices (in the same
    query): its page then reads only those it has, most contracts having none."""
    of_it = OuterRef("pk")
    return (
        Contract.objects.annotate(
            has_changes=Exists(ContractChange.objects.filter(contract=of_it)),
            has_kpis=Exists(Kpi.objects.filter(contract=of_it)),
            has_failures=Exists(PerformanceFailure.objects.filter(contract=of_it)),
            has_notices=Exists(Notice.objects.filter(contract=of_it)),
        )
        .filter(pk=pk)
        .first()
    )


def _if_any(contract: Contract, flag: str, rows: QuerySet[Any]) -> QuerySet[Any]:
    """``rows``, or none without a query when ``contract_for_page`` found there are none."""
    return rows.none() if getattr(contract, flag, True) is False else rows


def contract_suppliers(contract: Contract) -> list[tuple[AwardedSupplier, LocalityClass]]:
    area = home_area()
    return [(s, classify_postcode(s.postcode, area)) for s in contract.suppliers.all()]


# --- Award monitoring -----------------------------------------------------------------------

EXCEPTIONAL_SUPPLIERS = 50  # a month is footnoted when one award appoints this many suppliers
EXCEPTIONAL_SHARE = Decimal("0.5")  # … or is worth half the year's value awarded


@dataclass
class AwardFigures:
    """One month (or the year) of award monitoring."""

    month: date | None
    value_awarded: Decimal = Decimal("0.00")
    contracts: int = 0
    suppliers: int = 0
    home: int = 0
    region: int = 0
    elsewhere: int = 0  # rest of the UK, and postcodes unknown
    unknown: int = 0
    sme: int = 0
    vcfs: int = 0
    footnote: str = ""
    marker: str = ""

    @property
    def pct_home(self) -> int | None:
        return percent(self.home, self.suppliers)

    @property
    def pct_region(self) -> int | None:
        return percent(self.region, self.suppliers)

    @property
    def pct_rest_of_uk(self) -> int | None:
        """Elsewhere with a known postcode (the committee report shows unknown apart)."""
        return percent(self.elsewhere - self.unknown, self.suppliers)

    @property
    def pct_unknown(self) -> int | None:
        return percent(self.unknown, self.suppliers)


@dataclass
class AwardMonitoring:
    fy: int
    months: list[AwardFigures]
    year: AwardFigures
    footnotes: list[tuple[str, str]] = field(default_factory=list)


def award_monitoring(fy: int) -> AwardMonitoring:
    """Awards by month of award date in financial year ``fy`` (registered contracts only).

    Value awarded counts each contract once; suppliers appointed counts its supplier rows.
    Locality shares are of the suppliers appointed: home area, rest of region, and elsewhere
    (the rest of the UK and postcodes that cannot be placed, which are also counted apart).
    """
    months = fy_months(fy)
    first, last = months[0], date(fy + 1, 3, 31)
    figures = {month: AwardFigures(month) for month in months}
    year = AwardFigures(None)
    contracts: dict[int, tuple[date, Decimal, str, str]] = {}
    per_contract: dict[int, int] = defaultdict(int)
    rows = AwardedSupplier.objects.filter(
        contract__status=Contract.Status.REGISTERED,
        contract__award_date__gte=first,
        contract__award_date__lte=last,
    ).values_list(
        "contract_id",
        "contract__award_date",
        "contract__awarded_value",
        "contract__reference",
        "contract__title",
        "postcode",
        "sme",
        "vcfs",
    )
    area = home_area()  # one reading for every supplier of the year
    for contract_id, award_date, value, reference, title, postcode, sme, vcfs in rows:
        month = figures[award_date.replace(day=1)]
        if contract_id not in contracts:
            contracts[contract_id] = (award_date, value, reference, title)
            for target in (month, year):
                target.value_awarded += value
                target.contracts += 1
        per_contract[contract_id] += 1
        place = classify_postcode(postcode, area)
        for target in (month, year):
            target.suppliers += 1
            if place == LocalityClass.HOME:
                target.home += 1
            elif place == LocalityClass.REGION:
                target.region += 1
            else:
                target.elsewhere += 1
                target.unknown += place == LocalityClass.UNKNOWN
            target.sme += sme is True
            target.vcfs += vcfs is True
    report = AwardMonitoring(fy, list(figures.values()), year)
    notes: dict[date, list[str]] = defaultdict(list)
    for contract_id, (award_date, value, reference, title) in sorted(
        contracts.items(), key=lambda item: (item[1][0], item[1][2])
    ):
        count = per_contract[contract_id]
        large = year.value_awarded > 0 and value >= year.value_awarded * EXCEPTIONAL_SHARE
        if count >= EXCEPTIONAL_SUPPLIERS or large:
            notes[award_date.replace(day=1)].append(
                f"{title} ({reference}) was awarded this month to {count} "
                f"supplier{'s' if count != 1 else ''}, worth £{value:,.0f}."
            )
    for number, first_day in enumerate(sorted(notes), start=1):
        noted = figures[first_day]
        noted.marker, noted.footnote = "*" * number, " ".join(notes[first_day])
        report.footnotes.append((noted.marker, noted.footnote))
    return report


def award_years() -> list[int]:
    """Financial years that have awards, newest first."""
    dates = Contract.objects.filter(status=Contract.Status.REGISTERED).dates("award_date", "month")
    return sorted({financial_year_of(d) for d in dates}, reverse=True)


# --- Forward plan ---------------------------------------------------------------------------

FORWARD_MONTHS = 24


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, last_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def forward_plan_contracts(today: date) -> QuerySet[Contract]:
    """Registered contracts, not ended early by ``today``, whose end date falls in the next
    24 months. A contract ended early after ``today`` was still running on it (a report as at
    an earlier date lists it)."""
    return (
        Contract.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=today),
            status=Contract.Status.REGISTERED,
            end_date__gte=today,
            end_date__lte=_months_later(today, FORWARD_MONTHS),
        )
        .annotate(supplier_count=Count("suppliers"))
        .order_by("end_date", "reference")
    )


@dataclass
class ForwardQuarter:
    quarter: Quarter
    contracts: list[Any] = field(default_factory=list)  # Contract, or PublishedContract
    value: Decimal = Decimal("0.00")
    reprocurement_started: int = 0

    @property
    def not_started(self) -> int:
        return len(self.contracts) - self.reprocurement_started


def _quarters_ahead(today: date) -> dict[Quarter, ForwardQuarter]:
    quarters: dict[Quarter, ForwardQuarter] = {}
    quarter, last = (
        Quarter.containing(today),
        Quarter.containing(_months_later(today, FORWARD_MONTHS)),
    )
    while quarter <= last:
        quarters[quarter] = ForwardQuarter(quarter)
        quarter = quarter.next()
    return quarters


def forward_plan(today: date) -> list[ForwardQuarter]:
    """Every quarter of the next 24 months (empty ones too), with the contracts ending in it."""
    quarters = _quarters_ahead(today)
    for contract in forward_plan_contracts(today):
        assert contract.end_date is not None
        bucket = quarters[Quarter.containing(contract.end_date)]
        bucket.contracts.append(contract)
        bucket.value += contract.awarded_value
        bucket.reprocurement_started += contract.reprocurement_started
    return list(quarters.values())


def published_forward_plan(publication: Publication, today: date) -> list[ForwardQuarter]:
    """The forward plan as the public sees it: the published register's contracts ending in
    the next 24 months, by quarter. Only what was published (never drafts, nor changes made
    since); whether re-procurement has started is the officers' working, not published."""
    quarters = _quarters_ahead(today)
    ending = publication.contracts.filter(
        end_date__gte=today, end_date__lte=_months_later(today, FORWARD_MONTHS)
    ).order_by("end_date", "reference")
    for contract in ending:
        assert contract.end_date is not None
        bucket = quarters[Quarter.containing(contract.end_date)]
        bucket.contracts.append(contract)
        bucket.value += contract.awarded_value
    return list(quarters.values())


# --- The public register --------------------------------------------------------------------


def publications_published() -> QuerySet[Publication]:
    return Publication.objects.filter(status=Publication.Status.PUBLISHED).order_by(
        "-period_end", "-version"
    )


def latest_publication() -> Publication | None:
    return publications_published().first()


def published_search(
    queryset: QuerySet[PublishedContract], text: str
) -> QuerySet[PublishedContract]:
    """Published contracts whose reference, title, department or a supplier contains text."""
    text = text.strip().casefold()
    return queryset.filter(search_text__contains=text) if text else queryset


# --- Contract spend (from the spend ledger) -------------------------------------------------
#
# How a ledger payment belongs to a contract, strongest rule first:
# 1. an officer linked it to the contract (``ContractPaymentLink``);
# 2. its purchase order or contract reference column equals the contract's reference;
# 3. it was paid to one of the contract's suppliers (by supplier number, or by company number
#    once the ledger is enriched) between the contract's start and its end (or ended-early)
#    date. A payment linked or referenced to another contract is not counted here.
# ``payments_for_contract`` holds these rules; spend, the off-contract list and the payment
# duties all read payments through it (or, for a whole year at once, through the same rules
# in ``spend_without_contract``).

RULE_LINK = "Linked by an officer"
RULE_REFERENCE = "Contract or purchase order reference on the payment"
RULE_SUPPLIER = "Supplier and contract dates"
RULES = (RULE_LINK, RULE_REFERENCE, RULE_SUPPLIER)
# The projection's "current rate": average monthly spend over the last 12 whole months.
RATE_MONTHS = 12
RATE_MIN_MONTHS = 3  # fewer whole months of spend than this is too little to project from
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12
PROJECT_DAYS_LIMIT = 36_525  # 100 years: beyond it there is no date worth showing
# The Transparency Code's threshold for publishing a contract: the off-contract default.
OFF_CONTRACT_THRESHOLD_PENCE = 5_000_00


def ledger_suppliers_matching(numbers: set[str], companies: set[str]) -> QuerySet[Any]:
    """Ledger suppliers matching awarded suppliers by supplier number, or by company number
    once the ledger's suppliers are enriched from Companies House."""

    numbers, companies = numbers - {""}, companies - {""}
    if not numbers and not companies:
        return Supplier.objects.none()
    return Supplier.objects.filter(Q(supplier_number__in=numbers) | Q(company_number__in=companies))


def contract_ledger_suppliers(contract: Contract) -> QuerySet[Any]:
    awarded = list(contract.suppliers.values_list("supplier_number", "company_number"))
    return ledger_suppliers_matching({n for n, _ in awarded}, {c for _, c in awarded})


def _spend_window_end(contract: Contract, today: date) -> date:
    return min(d for d in (contract.effective_end, today) if d is not None)


def payments_for_contract(contract: Contract, *, today: date) -> QuerySet[Any]:
    """The spend payments made under ``contract`` up to ``today``, each annotated with
    ``matched_by`` (one of ``RULES``): the one place the payment-to-contract rules live."""

    linked_ids = list(
        ContractPaymentLink.objects.filter(contract=contract).values_list("payment_id", flat=True)
    )
    supplier_ids = list(contract_ledger_suppliers(contract).values_list("pk", flat=True))
    linked_elsewhere = ContractPaymentLink.objects.filter(payment_id=OuterRef("pk")).exclude(
        contract=contract
    )
    other_references = Contract.objects.exclude(pk=contract.pk).values("reference")
    by_supplier = (
        Q(
            supplier_id__in=supplier_ids,
            payment_date__gte=contract.start_date,
            payment_date__lte=_spend_window_end(contract, today),
        )
        & ~Q(order_reference__in=other_references)
        & ~Exists(linked_elsewhere)
    )
    by_link = Q(pk__in=linked_ids)
    by_reference = Q(order_reference=contract.reference) & ~Exists(linked_elsewhere)
    return (
        Payment.objects.spend()
        .filter(by_link | by_reference | by_supplier)
        .annotate(
            matched_by=Case(
                When(by_link, then=Value(RULE_LINK)),
                When(order_reference=contract.reference, then=Value(RULE_REFERENCE)),
                default=Value(RULE_SUPPLIER),
                output_field=CharField(),
            )
        )
    )


@dataclass(frozen=True)
class RuleSpend:
    rule: str
    spend_pence: int
    payments: int


@dataclass(frozen=True)
class PeriodSpend:
    period: date | int  # first day of a month, or a financial year
    spend_pence: int
    cumulative_pence: int


@dataclass(frozen=True)
class Projection:
    """When the awarded value will be reached at the current rate, and what that means."""

    rate_pence: Decimal | None  # average monthly spend over the rate window
    rate_from: date | None  # first and last month of the window
    rate_to: date | None
    rate_months: int
    reached_on: date | None  # None: already passed, no rate, or nothing left to spend
    spend_at_end_pence: int | None  # spend to date plus the rate to the end date
    warning: str
    note: str


@dataclass
class ContractSpend:
    spend_pence: int
    value: Decimal
    suppliers_matched: int
    rules: list[RuleSpend] = field(default_factory=list)
    months: list[PeriodSpend] = field(default_factory=list)
    years: list[PeriodSpend] = field(default_factory=list)
    projection: Projection | None = None
    links: int = 0  # officers' links to the contract (a page lists them only if there are any)
    # Its cache key, which changes whenever the figures might: what a page keys its cached
    # drawing of them by.
    version: str = ""

    @property
    def value_pence(self) -> int:
        return pence_from_decimal(self.value)

    @property
    def percent_of_value(self) -> int | None:
        if not self.value:
            return None
        return percent(self.spend_pence, self.value_pence)

    @property
    def remaining_pence(self) -> int:
        return self.value_pence - self.spend_pence

    @property
    def rules_matched(self) -> list[str]:
        return [r.rule for r in self.rules if r.payments]


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _project(
    contract: Contract, spend_pence: int, by_month: dict[date, int], today: date
) -> Projection:
    value_pence = pence_from_decimal(contract.awarded_value)
    end = contract.effective_end
    window_to = _months_later(_first_of_month(today), -1)  # the last whole month
    window_from = max(
        _months_later(window_to, -(RATE_MONTHS - 1)), _first_of_month(contract.start_date)
    )
    if end is not None:
        window_to = min(window_to, _first_of_month(end))
    months = 0
    if window_from <= window_to:
        months = (window_to.year - window_from.year) * 12 + window_to.month - window_from.month + 1
    passed = value_pence > 0 and spend_pence > value_pence
    warning = ""
    if passed:
        over = Decimal(spend_pence - value_pence) / 100
        warning = (
            f"Spend has passed the awarded value by £{over:,.2f}: "
            "a contract change is likely to be needed."
        )
    if months < RATE_MIN_MONTHS:
        note = (
            f"Fewer than {RATE_MIN_MONTHS} whole months of the contract have passed, "
            "too few to project from."
        )
        return Projection(None, None, None, months, None, None, warning, note)
    rate_total = sum(p for m, p in by_month.items() if window_from <= m <= window_to)
    rate = Decimal(rate_total) / months
    reached_on = spend_at_end = None
    note = ""
    if end is not None and end < today:
        note = "The contract has ended: nothing to project."
    elif value_pence <= 0:
        note = "The awarded value is nil: there is nothing to project against."
    elif rate <= 0:
        note = "No spend at the current rate: the awarded value will not be reached."
    elif not passed:
        days = (Decimal(value_pence - spend_pence) / rate * DAYS_PER_MONTH).to_integral_value(
            ROUND_CEILING
        )
        if days > PROJECT_DAYS_LIMIT:
            note = "At the current rate the awarded value would not be reached for 100 years."
        else:
            reached_on = today + timedelta(days=int(days))
        if reached_on is not None and end is not None and reached_on <= end and not warning:
            warning = (
                f"At the current rate spend will reach the awarded value on "
                f"{reached_on:%-d %B %Y}, before the contract ends on {end:%-d %B %Y}: "
                "a contract change is likely to be needed."
            )
    if end is None:
        note = note or "The end date is not recorded, so spend to the end cannot be projected."
    elif end >= today and rate > 0:
        months_left = Decimal((end - today).days) / DAYS_PER_MONTH
        spend_at_end = spend_pence + int((rate * months_left).to_integral_value(ROUND_HALF_UP))
    return Projection(rate, window_from, window_to, months, reached_on, spend_at_end, warning, note)


def contract_spend(contract: Contract, *, today: date) -> ContractSpend:
    """Spend to date under the contract against its value: by rule, month and financial
    year, with the projection at the current rate."""
    return _cached_by_rules(
        f"contract:{contract.pk}:{today}", lambda key: _contract_spend(contract, today, key)
    )


# ``payments_for_contract``'s rules summed by month for one contract, without reading every
# payment of a big supplier: rule 3's whole months come from the spend summary (which sums
# the same spend payments by supplier and month), its part months at either end of the dates
# from the payments (the (supplier, payment date) index), less the few payments a link or a
# contract's reference takes elsewhere or to rules 1 and 2. Rules 1 and 2 read their payments
# through the link table and the reference index.
_CONTRACT_SPEND_SQL = """
WITH by_link AS (
    SELECT date_trunc('month', p.payment_date)::date AS month, p.amount_pence AS pence
    FROM contracts_contractpaymentlink l JOIN spend_payment p ON p.id = l.payment_id
    WHERE l.contract_id = %(contract)s AND p.is_spend
),
by_reference AS (
    SELECT date_trunc('month', p.payment_date)::date AS month, p.amount_pence AS pence
    FROM spend_payment p
    WHERE p.order_reference = %(reference)s AND p.order_reference <> '' AND p.is_spend
      AND NOT EXISTS (SELECT 1 FROM contracts_contractpaymentlink l WHERE l.payment_id = p.id)
),
summary AS (
    SELECT s.month, sum(s.total_pence)::bigint AS pence, sum(s.payment_count)::bigint AS n
    FROM spend_spendsummary s
    WHERE s.supplier_id = ANY(%(suppliers)s::bigint[])
      AND s.financial_year BETWEEN %(first_fy)s AND %(last_fy)s
      AND s.month BETWEEN %(first_whole)s AND %(last_whole)s
    GROUP BY 1
),
part_months AS (
    SELECT date_trunc('month', p.payment_date)::date AS month, sum(p.amount_pence)::bigint AS pence,
           count(*) AS n
    FROM spend_payment p
    WHERE p.supplier_id = ANY(%(suppliers)s::bigint[]) AND p.is_spend
      AND (p.payment_date BETWEEN %(head_from)s AND %(head_to)s
           OR p.payment_date BETWEEN %(tail_from)s AND %(tail_to)s)
    GROUP BY 1
),
taken AS (
    -- The supplier's payments in the dates that another rule (here or elsewhere) takes.
    SELECT p.id, p.payment_date, p.amount_pence
    FROM spend_payment p
    WHERE p.supplier_id = ANY(%(suppliers)s::bigint[]) AND p.is_spend
      AND p.payment_date BETWEEN %(start)s AND %(until)s AND p.order_reference <> ''
      AND p.order_reference IN (SELECT reference FROM contracts_contract)
    UNION
    SELECT p.id, p.payment_date, p.amount_pence
    FROM contracts_contractpaymentlink l JOIN spend_payment p ON p.id = l.payment_id
    WHERE p.supplier_id = ANY(%(suppliers)s::bigint[]) AND p.is_spend
      AND p.payment_date BETWEEN %(start)s AND %(until)s
),
by_supplier AS (
    SELECT month, sum(pence)::bigint AS pence, sum(n)::bigint AS n
    FROM (SELECT month, pence, n FROM summary
          UNION ALL SELECT month, pence, n FROM part_months
          UNION ALL SELECT date_trunc('month', payment_date)::date, -amount_pence, -1
                    FROM taken) parts
    GROUP BY 1
)
SELECT month, %(rule_link)s, sum(pence)::bigint, count(*) FROM by_link GROUP BY 1
UNION ALL
SELECT month, %(rule_reference)s, sum(pence)::bigint, count(*) FROM by_reference GROUP BY 1
UNION ALL
SELECT month, %(rule_supplier)s, pence, n FROM by_supplier WHERE n <> 0 OR pence <> 0
"""


def _month_end(month: date) -> date:
    return _months_later(month, 1) - timedelta(days=1)


def _contract_spend_rows(contract: Contract, today: date) -> list[tuple[date, str, int, int]]:
    """(month, rule, spend, payments) by ``payments_for_contract``'s rules, fast."""

    suppliers = list(contract_ledger_suppliers(contract).values_list("pk", flat=True))
    start, until = contract.start_date, _spend_window_end(contract, today)
    if not suppliers or until < start:
        suppliers, until = [], start  # rule 3 matches nothing: empty ranges below
    first_whole = start if start.day == 1 else _months_later(_first_of_month(start), 1)
    last_whole = _first_of_month(until)
    if _month_end(last_whole) > until:
        last_whole = _months_later(last_whole, -1)
    never = (date.max, date.min)  # an empty range
    if not suppliers:
        head = tail = never
    elif first_whole > last_whole:  # no whole month: the dates are all part months
        head, tail = (start, until), never
    else:
        head = (start, first_whole - timedelta(days=1)) if start < first_whole else never
        tail = (_month_end(last_whole) + timedelta(days=1), until)
        tail = tail if tail[0] <= until else never
    params: dict[str, Any] = {
        "contract": contract.pk,
        "reference": contract.reference,
        "suppliers": suppliers,
        "start": start,
        "until": until,
        "first_fy": financial_year_of(start),
        "last_fy": financial_year_of(until),
        "first_whole": first_whole,
        "last_whole": last_whole,
        "head_from": head[0],
        "head_to": head[1],
        "tail_from": tail[0],
        "tail_to": tail[1],
        "rule_link": RULE_LINK,
        "rule_reference": RULE_REFERENCE,
        "rule_supplier": RULE_SUPPLIER,
    }
    with _without_jit(), connection.cursor() as cursor:
        cursor.execute(_CONTRACT_SPEND_SQL, params)
        return [(m, rule, int(t), int(n)) for m, rule, t, n in cursor.fetchall()]


def _contract_spend(contract: Contract, today: date, version: str = "") -> ContractSpend:
    rows: list[dict[str, Any]] = [
        {"month": m, "matched_by": rule, "total": t, "count": n}
        for m, rule, t, n in sorted(_contract_spend_rows(contract, today))
    ]
    by_month: dict[date, int] = defaultdict(int)
    by_rule: dict[str, list[int]] = {rule: [0, 0] for rule in RULES}
    for row in rows:
        by_month[row["month"]] += int(row["total"])
        by_rule[row["matched_by"]][0] += int(row["total"])
        by_rule[row["matched_by"]][1] += int(row["count"])
    total = sum(by_month.values())
    months, years, running = [], [], 0
    by_year: dict[int, int] = defaultdict(int)
    for month in sorted(by_month):
        running += by_month[month]
        months.append(PeriodSpend(month, by_month[month], running))
        by_year[financial_year_of(month)] += by_month[month]
    running = 0
    for year in sorted(by_year):
        running += by_year[year]
        years.append(PeriodSpend(year, by_year[year], running))
    return ContractSpend(
        spend_pence=total,
        value=contract.awarded_value,
        suppliers_matched=contract_ledger_suppliers(contract).count(),
        rules=[RuleSpend(rule, *by_rule[rule]) for rule in RULES],
        months=months,
        years=years,
        projection=_project(contract, total, by_month, today),
        links=ContractPaymentLink.objects.filter(contract=contract).count(),
        version=version,
    )


# ``payments_for_contract``'s rules for many contracts at once (the register export): a
# payment linked to a contract counts there; else one carrying a contract's reference counts
# there; else it counts for each contract of its supplier whose dates it falls in.
_SPEND_TO_DATE_SQL = """
WITH c AS (
    SELECT id, reference, start_date,
           least(coalesce(ended_on, end_date), %(today)s::date) AS until
    FROM contracts_contract WHERE id = ANY(%(ids)s)
),
sup AS (
    SELECT a.contract_id, s.id AS supplier_id
    FROM contracts_awardedsupplier a JOIN spend_supplier s ON s.supplier_number = a.supplier_number
    WHERE a.supplier_number <> '' AND a.contract_id = ANY(%(ids)s)
    UNION
    SELECT a.contract_id, s.id
    FROM contracts_awardedsupplier a JOIN spend_supplier s ON s.company_number = a.company_number
    WHERE a.company_number <> '' AND a.contract_id = ANY(%(ids)s)
),
linked AS (
    SELECT l.contract_id, sum(p.amount_pence) AS total
    FROM contracts_contractpaymentlink l JOIN spend_payment p ON p.id = l.payment_id
    WHERE p.is_spend AND l.contract_id = ANY(%(ids)s)
      AND p.payment_date BETWEEN %(since)s::date AND %(before)s::date
    GROUP BY 1
),
referenced AS (
    SELECT c.id AS contract_id, sum(p.amount_pence) AS total
    FROM c JOIN spend_payment p ON p.order_reference = c.reference
    WHERE p.is_spend AND p.payment_date BETWEEN %(since)s::date AND %(before)s::date
      AND NOT EXISTS (SELECT 1 FROM contracts_contractpaymentlink l WHERE l.payment_id = p.id)
    GROUP BY 1
),
dated AS (
    SELECT c.id AS contract_id, sum(p.amount_pence) AS total
    FROM c JOIN sup ON sup.contract_id = c.id
    JOIN spend_payment p ON p.supplier_id = sup.supplier_id
         AND p.payment_date >= c.start_date AND p.payment_date <= c.until
    WHERE p.is_spend AND p.payment_date BETWEEN %(since)s::date AND %(before)s::date
      AND NOT EXISTS (SELECT 1 FROM contracts_contractpaymentlink l WHERE l.payment_id = p.id)
      AND NOT EXISTS (SELECT 1 FROM contracts_contract o WHERE o.reference = p.order_reference)
    GROUP BY 1
)
SELECT c.id, (coalesce(l.total, 0) + coalesce(r.total, 0) + coalesce(d.total, 0))::bigint
FROM c
LEFT JOIN linked l ON l.contract_id = c.id
LEFT JOIN referenced r ON r.contract_id = c.id
LEFT JOIN dated d ON d.contract_id = c.id
"""


def contracts_spend_to_date(contract_ids: list[int], *, today: date) -> dict[int, int]:
    """Spend to date in pence for each contract, by ``payments_for_contract``'s rules."""

    if not contract_ids:
        return {}
    return _spend_by_rules(contract_ids, today=today, since=date.min, before=date.max)


def contracts_spend_in(
    contract_ids: list[int], *, start: date, end: date, today: date
) -> dict[int, int]:
    """Spend in pence paid from ``start`` to ``end`` under each contract (the same rules)."""
    return _spend_by_rules(contract_ids, today=today, since=start, before=end)


def _spend_by_rules(
    contract_ids: list[int], *, today: date, since: date, before: date
) -> dict[int, int]:
    if not contract_ids:
        return {}
    with _without_jit(), connection.cursor() as cursor:
        cursor.execute(
            _SPEND_TO_DATE_SQL,
            {"ids": list(contract_ids), "today": today, "since": since, "before": before},
        )
        return {int(i): int(t) for i, t in cursor.fetchall()}


def contract_payment_links(
    contract: Contract, spend: ContractSpend | None = None
) -> QuerySet[ContractPaymentLink]:
    """The payments officers linked to the contract (links to withdrawn payments drop out).
    Given the contract's ``spend``, none is read when it counted no link."""
    if spend is not None and not spend.links:
        return ContractPaymentLink.objects.none()
    return (
        ContractPaymentLink.objects.filter(contract=contract)
        .select_related("payment__supplier", "linked_by")
        .order_by("payment__payment_date", "payment_id")
    )


# --- Spend with no contract behind it -------------------------------------------------------


@dataclass(frozen=True)
class OffContractCategory:
    category_id: int | None
    name: str
    spend_pence: int


class LedgerSupplier(NamedTuple):
    """The ledger supplier an off-contract row is about: the fields the page, export and
    report show, not the model (thousands of model instances took longer to unpickle from
    the cache than the page took to draw)."""

    pk: int
    name: str
    supplier_number: str
    company_number: str


@dataclass(frozen=True)
class OffContractSupplier:
    supplier: LedgerSupplier
    spend_pence: int
    categories: list[OffContractCategory]  # biggest first

    @property
    def main_category(self) -> str:
        return self.categories[0].name if self.categories else ""


# One supplier as cached: id, name, supplier number, company number, spend, and its
# (category id, spend) pairs biggest first.
_OffContractRow = tuple[int, str, str, str, int, tuple[tuple[int | None, int], ...]]


class OffContractSuppliers(Sequence[OffContractSupplier]):
    """An off-contract list's suppliers, biggest first, kept as plain tuples and made into
    ``OffContractSupplier`` rows as they are read. At 10M payments a year lists thousands of
    suppliers and a page shows 50: the cache holds the tuples (quick to unpickle) and a page
    builds only the rows it shows; the export and the report read them all."""

    __slots__ = ("_category_names", "_rows")

    def __init__(self, rows: Sequence[_OffContractRow], category_names: dict[int | None, str]):
        self._rows = tuple(rows)
        self._category_names = category_names

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> OffContractSupplier: ...

    @overload
    def __getitem__(self, index: slice) -> list[OffContractSupplier]: ...

    def __getitem__(self, index: int | slice) -> OffContractSupplier | list[OffContractSupplier]:
        if isinstance(index, slice):
            return [self._row(r) for r in self._rows[index]]
        return self._row(self._rows[index])

    def __iter__(self) -> Iterator[OffContractSupplier]:
        return (self._row(r) for r in self._rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by value, like the list it stands for

    def _row(self, row: _OffContractRow) -> OffContractSupplier:
        pk, name, number, company, spend_pence, categories = row
        names = self._category_names
        return OffContractSupplier(
            LedgerSupplier(pk, name, number, company),
            spend_pence,
            [OffContractCategory(c, names[c], p) for c, p in categories],
        )


@dataclass(frozen=True)
class OffContractSpend:
    fy: int
    threshold_pence: int
    category: int | None  # the category filter, or None for all
    suppliers: OffContractSuppliers
    by_category: list[OffContractCategory]
    total_pence: int  # over all the suppliers, not just a page of them
    # Changes whenever the figures might (the cache key they are kept under): what a page
    # showing them keys its own cached rendering by.
    version: str


# Registered contracts' (ledger supplier, start, effective end): what rule 3 covers.
_COVER_SQL = """
SELECT s.id AS supplier_id, c.start_date, coalesce(c.ended_on, c.end_date) AS end_date
FROM contracts_awardedsupplier a
JOIN contracts_contract c ON c.id = a.contract_id
JOIN spend_supplier s ON s.supplier_number = a.supplier_number
WHERE c.status = 'registered' AND a.supplier_number <> ''
UNION
SELECT s.id, c.start_date, coalesce(c.ended_on, c.end_date)
FROM contracts_awardedsupplier a
JOIN contracts_contract c ON c.id = a.contract_id
JOIN spend_supplier s ON s.company_number = a.company_number
WHERE c.status = 'registered' AND a.company_number <> ''
"""

# Off-contract spend for one year in one statement. The year's summary by supplier, month
# and category; each month wholly inside the dates its supplier's contracts cover is covered,
# a month no contract's dates touch is off-contract from the summary (less its payments
# covered by a link or a reference), and a month partly covered is settled payment by payment.
# The cover is worked out once per supplier (the union of its contracts' dates, a
# multirange), so a summary row or a payment is tested against one value found by hash, not
# against each contract in turn. Only the suppliers reaching the threshold come back.
_OFF_CONTRACT_SQL = f"""
WITH cover AS MATERIALIZED ({_COVER_SQL}),
covered_suppliers AS MATERIALIZED (
    SELECT supplier_id, range_agg(daterange(start_date, end_date, '[]')) AS span
    FROM cover WHERE end_date IS NULL OR end_date >= start_date  -- else it covers no day
    GROUP BY 1
),
refs AS MATERIALIZED (
    SELECT reference FROM contracts_contract WHERE status = 'registered'
),
links AS MATERIALIZED (
    SELECT l.payment_id FROM contracts_contractpaymentlink l
    JOIN contracts_contract c ON c.id = l.contract_id WHERE c.status = 'registered'
),
special AS MATERIALIZED (
    -- Payments a link or a reference covers. The partial index finds the referenced ones.
    SELECT p.id, p.supplier_id, p.category_id, p.payment_date, p.amount_pence
    FROM spend_payment p JOIN refs ON refs.reference = p.order_reference
    WHERE p.order_reference <> '' AND p.financial_year = %(fy)s AND p.is_spend
      AND (%(cat)s::bigint IS NULL OR p.category_id = %(cat)s)
    UNION
    SELECT p.id, p.supplier_id, p.category_id, p.payment_date, p.amount_pence
    FROM spend_payment p JOIN links ON links.payment_id = p.id
    WHERE p.financial_year = %(fy)s AND p.is_spend
      AND (%(cat)s::bigint IS NULL OR p.category_id = %(cat)s)
),
plain AS MATERIALIZED (
    -- Suppliers no registered contract names: the whole year is off-contract (less special).
    SELECT s.supplier_id, s.category_id, sum(s.total_pence)::bigint AS total
    FROM spend_spendsummary s
    WHERE s.financial_year = %(fy)s AND (%(cat)s::bigint IS NULL OR s.category_id = %(cat)s)
      AND NOT EXISTS (SELECT 1 FROM covered_suppliers c WHERE c.supplier_id = s.supplier_id)
    GROUP BY 1, 2
),
plain_kept AS (
    SELECT supplier_id, category_id, total FROM plain
    WHERE supplier_id IN (
        SELECT supplier_id FROM plain GROUP BY 1 HAVING sum(total) >= %(threshold)s
        UNION SELECT supplier_id FROM special)
),
months AS (
    SELECT s.supplier_id, s.month,
           (s.month + interval '1 month' - interval '1 day')::date AS month_end,
           s.category_id, sum(s.total_pence)::bigint AS total
    FROM spend_spendsummary s JOIN covered_suppliers c ON c.supplier_id = s.supplier_id
    WHERE s.financial_year = %(fy)s AND (%(cat)s::bigint IS NULL OR s.category_id = %(cat)s)
    GROUP BY s.supplier_id, s.month, s.category_id
),
classed AS MATERIALIZED (
    SELECT m.supplier_id, m.month, m.category_id, m.total,
           c.span @> daterange(m.month, m.month_end, '[]') AS whole,
           c.span && daterange(m.month, m.month_end, '[]') AS touched
    FROM months m JOIN covered_suppliers c ON c.supplier_id = m.supplier_id
),
untouched AS (
    SELECT supplier_id, category_id, sum(total)::bigint AS total
    FROM classed WHERE NOT touched GROUP BY 1, 2
),
partial_months AS (
    SELECT DISTINCT supplier_id, month FROM classed WHERE touched AND NOT whole
),
partial_spend AS (
    SELECT p.supplier_id, p.category_id, sum(p.amount_pence)::bigint AS total
    FROM partial_months pm
    JOIN spend_payment p ON p.supplier_id = pm.supplier_id AND p.payment_date >= pm.month
         AND p.payment_date < (pm.month + interval '1 month')::date
    JOIN covered_suppliers c ON c.supplier_id = p.supplier_id
    WHERE p.is_spend AND (%(cat)s::bigint IS NULL OR p.category_id = %(cat)s)
      AND NOT c.span @> p.payment_date
      -- By the tables' unique indexes, not the CTEs (whose sizes the planner cannot know).
      AND NOT EXISTS (SELECT 1 FROM contracts_contract k
                      WHERE k.reference = p.order_reference AND k.status = 'registered')
      AND NOT EXISTS (SELECT 1 FROM contracts_contractpaymentlink l
                      JOIN contracts_contract k ON k.id = l.contract_id
                      WHERE l.payment_id = p.id AND k.status = 'registered')
    GROUP BY 1, 2
),
special_untouched AS (
    -- Counted above from the summary (no contract's dates touch its month): take it off.
    SELECT s.supplier_id, s.category_id, -sum(s.amount_pence)::bigint AS total
    FROM special s LEFT JOIN covered_suppliers c ON c.supplier_id = s.supplier_id
    WHERE NOT coalesce(c.span && daterange(date_trunc('month', s.payment_date)::date,
                           (date_trunc('month', s.payment_date) + interval '1 month')::date),
                       false)
    GROUP BY 1, 2
),
spend AS (
    SELECT supplier_id, category_id, sum(total)::bigint AS total
    FROM (SELECT * FROM plain_kept UNION ALL SELECT * FROM untouched
          UNION ALL SELECT * FROM partial_spend UNION ALL SELECT * FROM special_untouched) parts
    GROUP BY 1, 2
),
kept AS (
    SELECT supplier_id FROM spend GROUP BY 1 HAVING sum(total) >= %(threshold)s
)
SELECT supplier_id, category_id, total FROM spend JOIN kept USING (supplier_id)
"""  # noqa: S608  (constants of this module only)


def _registered_references() -> QuerySet[Any]:
    return Contract.objects.filter(status=Contract.Status.REGISTERED).values("reference")


def _linked_to_registered() -> QuerySet[ContractPaymentLink]:
    return ContractPaymentLink.objects.filter(contract__status=Contract.Status.REGISTERED)


# Everything the payment-to-contract rules read besides the payments (contracts' references,
# statuses, dates and values, awarded suppliers' numbers, officers' links, the ledger
# suppliers' numbers) is versioned by one row that database triggers set in the same
# transaction as each write (migration 0011: whoever writes, the admin and imports too). The
# payments themselves are versioned by the ledger's summary.
_RULES_VERSION_SQL = "SELECT version FROM contracts_rulesversion WHERE id = 1"
_pinned_rules: ContextVar[str | None] = ContextVar("contracts_rules_version", default=None)


def _rules_version() -> str:
    pinned = _pinned_rules.get()
    if pinned is not None:
        return pinned
    with connection.cursor() as cursor:
        cursor.execute(_RULES_VERSION_SQL)
        row = cursor.fetchone()
    return f"{row[0] if row else 0}"


@contextmanager
def one_register_version() -> Iterator[None]:
    """Read every figure in the block at one version of the ledger and of the rules (one
    query for the block, not two for each figure): what a page wraps its selectors in."""

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {SUMMARY_VERSION_COLUMNS}, ({_RULES_VERSION_SQL})")
        row = cursor.fetchone()
    with one_summary_version(summary_version_of(row)):
        token = _pinned_rules.set(f"{row[3] or 0}")
        try:
            yield
        finally:
            _pinned_rules.reset(token)


CACHE_SECONDS = 60 * 60
# In the key: raised when a cached value's shape changes, so a deploy never reads a pickle of
# the old classes (2: off-contract suppliers as tuples, OffContractSuppliers; 3: a contract's
# spend counts its links and carries its version).
CACHE_SHAPE = 3


def _cached_by_rules(name: str, compute: Callable[[str], T]) -> T:
    """``compute(key)``, cached until the ledger's summary (its version changes whenever an
    import or a withdrawal changes it) or anything else the rules read changes. ``key`` is
    the cache key, which changes with them: a result can carry it as its version."""

    versions = f"{current_summary_version()}:{_rules_version()}"
    key = (
        f"contract-spend:{CACHE_SHAPE}:" + hashlib.sha256(f"{versions}:{name}".encode()).hexdigest()
    )
    value = cache.get(key)
    if value is None:
        value = compute(key)
        cache.set(key, value, CACHE_SECONDS)
    return cast(T, value)


@contextmanager
def _without_jit() -> Iterator[None]:
    """PostgreSQL's JIT compiles a large-looking plan for ~100 ms; these reads are short
    (index lookups, a summary scan), so it only adds time. Off for the block."""

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def spend_without_contract(
    *, fy: int, threshold_pence: int = OFF_CONTRACT_THRESHOLD_PENCE, category: int | None = None
) -> OffContractSpend:
    """Suppliers whose spend in financial year ``fy`` (in ``category``, if given) that no
    registered contract covers adds up to at least ``threshold_pence``, biggest first.

    A payment is covered by the rules of ``payments_for_contract``: linked to a registered
    contract, carrying a registered contract's reference, or paid to a registered contract's
    supplier within its dates (``off_contract_payments`` gives the same payments one by one).
    Read from the spend summary month by month; a month only partly inside a contract's dates
    is settled from its payments."""
    return _cached_by_rules(
        f"off:{fy}:{threshold_pence}:{category}",
        lambda key: _spend_without_contract(fy, threshold_pence, category, key),
    )


def _spend_without_contract(
    fy: int, threshold_pence: int, category: int | None, version: str
) -> OffContractSpend:
    with _without_jit(), connection.cursor() as cursor:
        cursor.execute(_OFF_CONTRACT_SQL, {"fy": fy, "threshold": threshold_pence, "cat": category})
        rows = cursor.fetchall()
    totals: dict[int, dict[int | None, int]] = defaultdict(dict)
    for supplier_id, category_id, total in rows:
        totals[supplier_id][category_id] = int(total)
    names = dict(Category.objects.values_list("id", "name"))
    category_names: dict[int | None, str] = {
        cid: names.get(cid, UNCATEGORISED) if cid else UNCATEGORISED
        for by in totals.values()
        for cid in by
    }
    ledger = {
        pk: (name, number, company)
        for pk, name, number, company in Supplier.objects.filter(pk__in=list(totals)).values_list(
            "pk", "name", "supplier_number", "company_number"
        )
    }

    def by_size(by_category: dict[int | None, int]) -> tuple[tuple[int | None, int], ...]:
        # Biggest first, then by name; a category netting to nothing is not listed.
        listed = [(cid, p) for cid, p in by_category.items() if p]
        return tuple(sorted(listed, key=lambda c: (-c[1], category_names[c[0]])))

    suppliers: list[_OffContractRow] = [
        (pk, *ledger[pk], sum(by.values()), by_size(by)) for pk, by in totals.items()
    ]
    suppliers.sort(key=lambda r: (-r[4], r[1], r[0]))
    by_category: dict[int | None, int] = defaultdict(int)
    for row in suppliers:
        for cid, pence in row[5]:
            by_category[cid] += pence
    return OffContractSpend(
        fy,
        threshold_pence,
        category,
        OffContractSuppliers(suppliers, category_names),
        [OffContractCategory(c, category_names[c], p) for c, p in by_size(by_category)],
        sum(r[4] for r in suppliers),
        version,
    )


PaymentsT = TypeVar("PaymentsT", bound=QuerySet[Any])


def off_contract_payments(payments: PaymentsT) -> PaymentsT:
    """``payments`` less those any registered contract covers (the drill-down behind a
    ``spend_without_contract`` figure: the same rules, payment by payment)."""

    covering = (
        AwardedSupplier.objects.filter(contract__status=Contract.Status.REGISTERED)
        .annotate(effective_end=Coalesce("contract__ended_on", "contract__end_date"))
        .filter(contract__start_date__lte=OuterRef("payment_date"))
        .filter(Q(effective_end__isnull=True) | Q(effective_end__gte=OuterRef("payment_date")))
        .filter(
            (Q(supplier_number=OuterRef("supplier__supplier_number")) & ~Q(supplier_number=""))
            | (Q(company_number=OuterRef("supplier__company_number")) & ~Q(company_number=""))
        )
    )
    return (
        payments.exclude(order_reference__in=_registered_references())
        .exclude(pk__in=_linked_to_registered().values("payment_id"))
        .exclude(Exists(covering))
    )


def register_uploads_kept() -> Any:
    """Register uploads still kept: waiting, or not imported (to map, run again or discard)."""

    return RegisterUpload.objects.filter(
        status__in=[RegisterUpload.Status.WAITING, RegisterUpload.Status.FAILED]
    ).select_related("job", "uploaded_by")[:20]


def register_uploads_not_imported() -> Any:
    """Register uploads that failed and wait for an officer to map, run again or discard."""

    return RegisterUpload.objects.filter(status=RegisterUpload.Status.FAILED)


def register_upload_headings(upload: Any) -> list[str]:
    """The headings of a kept upload's likeliest header row ([] when the file is gone)."""

    return file_headings(upload.path) if upload.path.is_file() else []


def register_import_drafts(upload: Any) -> QuerySet[Contract]:
    """The contracts an import left as drafts to complete (those still flagged)."""
    references = [str(f).split(": ", 1)[0] for f in (upload.result or {}).get("flagged", [])]
    return Contract.objects.filter(reference__in=references).exclude(needs_attention="")


# ---------------------------------------------------------------------------------------------
# Change history and the change notice test (PA 2023 s.74-75)

CHANGE_LIMIT_WORKS = Decimal("15")
CHANGE_LIMIT = Decimal("10")  # goods and services; and the term, for any contract


@dataclass(frozen=True)
class ChangeTested:
    change: ContractChange
    value_percent: Decimal  # changes so far (this one included), % of the value at award
    term_percent: Decimal | None  # None: an end date is missing, the term cannot be tested
    needs_notice: bool
    reason: str


@dataclass(frozen=True)
class ChangeHistory:
    original_value: Decimal
    original_end: date | None
    value_limit: Decimal
    changes: list[ChangeTested]
    spend_over_value: str  # a sentence when ledger spend has passed the value, else ""

    @property
    def needs_change_notice(self) -> bool:
        return bool(self.spend_over_value) or any(c.needs_notice for c in self.changes)


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def change_history(
    contract: Contract, *, today: date, spend: ContractSpend | None = None
) -> ChangeHistory:
    """Every change to value or end date since award, each tested cumulatively (s.75 counts
    changes together): over 10% of the value (15% for works) or 10% of the term needs a
    change notice. Increases and decreases both count, as their sizes add up."""
    changes = list(_if_any(contract, "has_changes", contract.changes.all()))
    original_value = changes[0].value_before if changes else contract.awarded_value
    original_end = changes[0].end_before if changes else contract.end_date
    tested = _tested_changes(contract, changes)
    if spend is None:  # a page that shows the spend too passes it: read once
        spend = contract_spend(contract, today=today)
    over = ""
    if spend.spend_pence > spend.value_pence:
        over = (
            f"Spend under the contract (£{Decimal(spend.spend_pence) / 100:,.2f}) has passed its "
            f"value (£{spend.value:,.2f}): the value must change, which may need a change notice."
        )
    return ChangeHistory(original_value, original_end, _value_limit(contract), tested, over)


def _value_limit(contract: Contract) -> Decimal:
    return CHANGE_LIMIT_WORKS if contract.main_category == MainCategory.WORKS else CHANGE_LIMIT


def _tested_changes(contract: Contract, changes: list[ContractChange]) -> list[ChangeTested]:
    original_value = changes[0].value_before if changes else contract.awarded_value
    original_end = changes[0].end_before if changes else contract.end_date
    limit = _value_limit(contract)
    term_days = (original_end - contract.start_date).days if original_end else 0
    tested, value_moved, days_moved, term_known = [], Decimal(0), 0, term_days > 0
    for change in changes:
        value_moved += abs(change.value_after - change.value_before)
        if change.end_before and change.end_after:
            days_moved += abs((change.end_after - change.end_before).days)
        elif change.end_before != change.end_after:
            term_known = False
        value_percent = _percent(value_moved, original_value)
        term_percent = _percent(days_moved, term_days) if term_known else None
        reasons = []
        if value_percent > limit:
            reasons.append(f"the value has changed by {value_percent}% since award (over {limit}%)")
        if term_percent is None:
            reasons.append("an end date is not recorded, so the 10% term test cannot be done")
        elif term_percent > CHANGE_LIMIT:
            reasons.append(f"the term has changed by {term_percent}% since award (over 10%)")
        tested.append(
            ChangeTested(change, value_percent, term_percent, bool(reasons), "; ".join(reasons))
        )
    return tested


# ---------------------------------------------------------------------------------------------
# The statutory calendar: Procurement Act notices due, overdue and published

DETAILS_NOTICE_FROM = Decimal("30000")  # s.87: below-threshold notices from £30,000 incl. VAT
DETAILS_NOTICE_DAYS = 30  # after the contract is entered into (PR 2024 reg 34; 120 light touch)
TERMINATION_NOTICE_DAYS = 30  # s.80: within 30 days of the contract ending


@dataclass(frozen=True)
class NoticeDue:
    contract: Contract
    kind: str
    deadline: date
    overdue: bool
    draft: Notice | None
    change: ContractChange | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return Notice.Kind(self.kind).label


def notice_deadline(
    kind: str,
    contract: Contract,
    change: ContractChange | None = None,
    period_start: date | None = None,
) -> date | None:
    """The day by which a notice is due (a change notice: before the change takes effect;
    a KPI performance notice: 12 months after the period it follows on from began)."""
    if kind == Notice.Kind.PERFORMANCE:
        return _months_later(period_start, 12) if period_start else None
    if kind == Notice.Kind.CONTRACT_DETAILS:
        days = 120 if contract.regime == Regime.LIGHT_TOUCH else DETAILS_NOTICE_DAYS
        return contract.award_date + timedelta(days=days)
    if kind == Notice.Kind.CHANGE:
        return change.changed_on if change else None
    end = contract.effective_end
    return end + timedelta(days=TERMINATION_NOTICE_DAYS) if end else None


def _published_by(notice: Notice, today: date | None) -> bool:
    """Published (on or before ``today`` if given: one published later was still due then)."""
    return (
        notice.status == Notice.Status.PUBLISHED
        and notice.published_at is not None
        and (today is None or timezone.localdate(notice.published_at) <= today)
    )


def notices_due(today: date, *, as_it_stood: bool = False) -> list[NoticeDue]:
    """Every Act notice the register says is needed and not yet published, soonest first.

    ``as_it_stood``: the answer ``today`` gave, for a report as at an earlier day: what was
    awarded, changed, decided or published after it is left out."""
    stood = today if as_it_stood else None
    registered = Contract.objects.filter(status=Contract.Status.REGISTERED, regime__in=ACT_REGIMES)
    if stood is not None:
        registered = registered.exclude(award_date__gt=stood)
    contracts = list(
        registered.prefetch_related("notices", "changes", "kpis", "performance_failures").order_by(
            "reference"
        )
    )
    due: list[NoticeDue] = []

    def add(
        kind: str,
        contract: Contract,
        change: ContractChange | None,
        note: str,
        deadline: date | None = None,
    ) -> None:
        notices = [n for n in contract.notices.all() if n.kind == kind]
        if change is not None:
            notices = [n for n in notices if n.change_id == change.pk]
        if kind == Notice.Kind.PERFORMANCE:
            notices = [n for n in notices if n.status == Notice.Status.DRAFT]
        if any(_published_by(n, stood) for n in notices):
            return
        deadline = deadline or notice_deadline(kind, contract, change)
        assert deadline is not None
        draft = notices[0] if notices else None
        due.append(NoticeDue(contract, kind, deadline, deadline < today, draft, change, note))

    for contract in contracts:
        gross = contract.awarded_value_gross
        if gross is None:
            add(
                Notice.Kind.CONTRACT_DETAILS,
                contract,
                None,
                "Value including VAT not recorded: a notice is needed from £30,000 including "
                "VAT; record the value to be sure.",
            )
        elif gross >= DETAILS_NOTICE_FROM:
            add(Notice.Kind.CONTRACT_DETAILS, contract, None, _kpi_note(contract))
        for deadline, note in _performance_due(contract, today, stood):
            add(Notice.Kind.PERFORMANCE, contract, None, note, deadline)
        for tested in change_history_of_changes(contract):
            if tested.needs_notice and (stood is None or tested.change.changed_on <= stood):
                add(Notice.Kind.CHANGE, contract, tested.change, tested.reason)
        end = contract.effective_end
        if end is not None and end <= today:
            add(Notice.Kind.TERMINATION, contract, None, contract.end_reason)
    return sorted(due, key=lambda d: (d.deadline, d.contract.reference))


KPI_CONTRACT_FROM = Decimal("5000000")  # s.52: KPIs for contracts over £5m (VAT included)
PERFORMANCE_FROM = date(2026, 1, 1)  # s.71 in force in England (SI 2025/1316)
FAILURE_NOTICE_DAYS = 30  # after the decision (PR 2024 reg 39; unverified)


def _needs_kpis(contract: Contract) -> bool:
    gross = contract.awarded_value_gross
    return (
        gross is not None
        and gross > KPI_CONTRACT_FROM
        and not contract.framework
        and contract.regime != Regime.LIGHT_TOUCH
    )


def _kpi_note(contract: Contract, kpis: int | None = None) -> str:
    if kpis is None:
        kpis = len(contract.kpis.all())
    if _needs_kpis(contract) and kpis < 3:
        return (
            f"Over £5m: the notice needs at least three KPIs (s.52), or why none apply; "
            f"{kpis} recorded."
        )
    return ""


def _performance_due(
    contract: Contract, today: date, stood: date | None = None
) -> list[tuple[date, str]]:
    """KPI assessment notices (every 12 months, contracts over £5m with KPIs) and notices of
    breach or failure to perform (any contract) not yet covered by a published notice."""
    published = [
        n
        for n in contract.notices.all()
        if n.kind == Notice.Kind.PERFORMANCE and _published_by(n, stood)
    ]
    covered_to = max((n.period_end for n in published if n.period_end), default=None)
    due = []
    if _needs_kpis(contract) and contract.kpis.all() and contract.start_date <= today:
        since = covered_to + timedelta(days=1) if covered_to else contract.start_date
        since = max(since, PERFORMANCE_FROM)
        deadline = _months_later(since, 12)
        if deadline <= today + timedelta(days=90):
            due.append((deadline, "KPI assessment due at least every 12 months (s.71)."))
    for failure in contract.performance_failures.all():
        if stood is not None and failure.decision_date > stood:
            continue  # decided after the day the report is as at
        if covered_to is None or failure.decision_date > covered_to:
            due.append(
                (
                    failure.decision_date + timedelta(days=FAILURE_NOTICE_DAYS),
                    f"Breach or failure to perform decided {failure.decision_date:%-d %B %Y}: "
                    f"{failure.requirement}",
                )
            )
    return due


def change_history_of_changes(contract: Contract) -> list[ChangeTested]:
    """The threshold test of each change, without the ledger (the calendar lists changes;
    spend past the value is shown on the contract's page)."""
    return _tested_changes(contract, list(contract.changes.all()))


@dataclass(frozen=True)
class NoticePublished:
    notice: Notice
    deadline: date | None
    on_time: bool | None


def notices_published(limit: int = 200) -> list[NoticePublished]:
    """The record of what was published and whether it was on time (for councillors)."""
    rows = []
    for notice in (
        Notice.objects.filter(status=Notice.Status.PUBLISHED)
        .select_related("contract", "change")
        .order_by("-published_at")[:limit]
    ):
        deadline = notice_deadline(notice.kind, notice.contract, notice.change, notice.period_start)
        on_time = (
            None
            if deadline is None or notice.published_at is None
            else timezone.localdate(notice.published_at) <= deadline
        )
        rows.append(NoticePublished(notice, deadline, on_time))
    return rows


def contract_notices(contract: Contract) -> QuerySet[Notice]:
    notices = contract.notices.select_related("change", "published_by").order_by("created_at")
    return _if_any(contract, "has_notices", notices)


def published_notices_for(reference: str) -> QuerySet[Notice]:
    """The public register's links: published notices only, never drafts."""
    return Notice.objects.filter(
        contract__reference=reference, status=Notice.Status.PUBLISHED
    ).order_by("published_at")


@dataclass(frozen=True)
class NoticeFields:
    """What a notice says, read from its OCDS release, so the page and the file agree: the
    frozen release once published, the release as it would be today for a draft."""

    release: dict[str, Any]
    buyer: dict[str, Any]
    suppliers: list[dict[str, Any]]
    contract: dict[str, Any]
    amendment: dict[str, Any] | None
    implementation: dict[str, Any] | None


def notice_fields(notice: Notice, *, today: date) -> NoticeFields:
    if notice.status == Notice.Status.PUBLISHED:
        release = notice.release
    else:
        spend = None
        if notice.kind == Notice.Kind.TERMINATION:
            spend = contract_spend(notice.contract, today=today).spend_pence
        release = notices.notice_release(notice, published=timezone.now(), final_value_pence=spend)
    contract = release["contracts"][0]
    parties = release["parties"]
    return NoticeFields(
        release=release,
        buyer=parties[0],
        suppliers=parties[1:],
        contract=contract,
        amendment=(contract.get("amendments") or [None])[0],
        implementation=contract.get("implementation"),
    )


@dataclass(frozen=True)
class KpiLatest:
    kpi: Any
    latest: Any  # the assessment with the latest period, or None


@dataclass(frozen=True)
class ContractPerformance:
    kpis: list[KpiLatest]
    unverified: list[Any]
    failures: list[Any]
    kpi_note: str


def contract_performance(contract: Contract) -> ContractPerformance:
    # One read of the KPIs and their assessments serves the latest, the unverified (in the
    # assessments' own order: by KPI, then period) and the note's count.
    kpis: list[Kpi] = []
    if getattr(contract, "has_kpis", True):
        prefetch_related_objects([contract], "kpis__assessments")
        kpis = list(contract.kpis.all())
    return ContractPerformance(
        kpis=[
            KpiLatest(kpi, max(kpi.assessments.all(), key=lambda a: a.period_end, default=None))
            for kpi in kpis
        ],
        unverified=[a for kpi in kpis for a in kpi.assessments.all() if a.verified_at is None],
        failures=list(_if_any(contract, "has_failures", contract.performance_failures.all())),
        kpi_note=_kpi_note(contract, len(kpis)),
    )


@dataclass(frozen=True)
class NoticeCompliance:
    """The committee report's summary: Act notices published in a financial year, how many
    on time, and what is due or overdue now."""

    published: int
    on_time: int
    late: int
    due: int
    overdue: int


def notice_compliance(fy: int, today: date) -> NoticeCompliance:
    start, end = date(fy, 4, 1), min(date(fy + 1, 3, 31), today)
    rows = [
        row
        for row in notices_published(limit=100_000)
        if row.notice.published_at and start <= timezone.localdate(row.notice.published_at) <= end
    ]
    due = notices_due(today, as_it_stood=True)  # the report's figure, as at its date
    return NoticeCompliance(
        published=len(rows),
        on_time=sum(1 for r in rows if r.on_time),
        late=sum(1 for r in rows if r.on_time is False),
        due=len(due),
        overdue=sum(1 for d in due if d.overdue),
    )


# ---------------------------------------------------------------------------------------------
# The pipeline notice (UK1; PA 2023 s.93, PR 2024 reg 15)

PIPELINE_SPEND_FROM = Decimal("100000000")  # more than £100m expected under relevant contracts
PIPELINE_CONTRACT_FROM = Decimal("2000000")  # each planned contract of £2m or more incl. VAT


@dataclass(frozen=True)
class Pipeline:
    fy: int
    deadline: date  # 26 May of the year
    window_end: date  # 18 months from 1 April
    basis_fy: int  # the last full year whose ledger spend stands in for the coming year's
    basis_spend_pence: int
    required: bool
    planned: list[Any]
    unplanned: list[Contract]  # £2m+ contracts ending in the window with no planned successor
    unsure: list[Contract]  # ending in the window, value including VAT not recorded


def pipeline(fy: int, *, today: date) -> Pipeline:
    """Whether the council must publish a pipeline notice for ``fy`` and what it lists. The
    coming year's payments are estimated by the last full year's ledger spend under the
    registered contracts (contracts still running may differ: the page says so)."""

    start = date(fy, 4, 1)
    window_end = _months_later(start, 18)
    basis = fy - 1
    ids = list(live_contracts_in(date(basis, 4, 1), date(fy, 3, 31)).values_list("pk", flat=True))
    spend = sum(
        contracts_spend_in(ids, start=date(basis, 4, 1), end=date(fy, 3, 31), today=today).values()
    )
    planned = list(
        PlannedProcurement.objects.filter(
            estimated_value_gross__gte=PIPELINE_CONTRACT_FROM,
            tender_notice_on__gte=start,
            tender_notice_on__lt=window_end,
        )
    )
    replaced = set(
        PlannedProcurement.objects.exclude(replaces=None).values_list("replaces_id", flat=True)
    )
    ending = [
        c
        for c in live_contracts_in(start, window_end)
        if c.effective_end and start <= c.effective_end < window_end and c.pk not in replaced
    ]
    unplanned = [
        c
        for c in ending
        if c.awarded_value_gross is not None and c.awarded_value_gross >= PIPELINE_CONTRACT_FROM
    ]
    unsure = [
        c
        for c in ending
        if c.awarded_value_gross is None
        and c.awarded_value * Decimal("1.2") >= PIPELINE_CONTRACT_FROM
    ]
    return Pipeline(
        fy=fy,
        deadline=date(fy, 5, 26),
        window_end=window_end,
        basis_fy=basis,
        basis_spend_pence=spend,
        required=Decimal(spend) / 100 > PIPELINE_SPEND_FROM,
        planned=planned,
        unplanned=unplanned,
        unsure=unsure,
    )


def live_contracts_in(start: date, end: date) -> QuerySet[Contract]:
    """Registered contracts running at some point from ``start`` to ``end``."""
    return (
        Contract.objects.filter(status=Contract.Status.REGISTERED, start_date__lte=end)
        .filter(
            Q(ended_on__gte=start)
            | Q(ended_on__isnull=True, end_date__gte=start)
            | Q(ended_on__isnull=True, end_date__isnull=True)
        )
        .order_by("reference")
    )


# --- The register's part of the ledger's pages (spend.register_links) ----------------------


def payments_contract(contract_id: int) -> Contract | None:
    """The contract a payments drill-down is filtered to (for the page to name it)."""
    return Contract.objects.filter(pk=contract_id).first()


def payments_under_contract(contract_id: int, payments: PaymentsT) -> PaymentsT:
    """``payments`` narrowed to those made under the contract (none if there is no such)."""
    contract = payments_contract(contract_id)
    if contract is None:
        return payments.none()
    under = payments_for_contract(contract, today=timezone.localdate())
    return payments.filter(pk__in=under.values("pk"))


def supplier_contracts(supplier_number: str) -> list[Contract]:
    """Contracts in the register awarded to the ledger supplier with this number."""
    return list(
        Contract.objects.filter(suppliers__supplier_number=supplier_number)
        .distinct()
        .order_by("-start_date", "reference")
    )


def register_warm(fy: int) -> None:
    """The register's figures a dashboard warm-up computes: the off-contract page as it opens."""
    spend_without_contract(fy=fy)


# ---------------------------------------------------------------------------------------------
# The register as at a date (the committee report's statement)


@dataclass(frozen=True)
class RegisterStatement:
    as_at: date
    live: int  # registered contracts running on the as-at date
    live_value: Decimal
    awarded_in_year: int
    waivers_in_year: int  # of those, awarded by waiver (procurement route "Waiver")
    last_published: Publication | None  # the latest quarter published by the as-at date


def register_statement(fy: int, as_at: date) -> RegisterStatement:
    """Contracts live on ``as_at``, the year's awards and waivers, and the last quarter of
    the register published by then."""
    registered = Contract.objects.filter(status=Contract.Status.REGISTERED)
    live = registered.filter(start_date__lte=as_at).filter(
        Q(ended_on__isnull=True, end_date__isnull=True)
        | Q(ended_on__isnull=True, end_date__gte=as_at)
        | Q(ended_on__gte=as_at)
    )
    awarded = registered.filter(award_date__gte=date(fy, 4, 1), award_date__lte=as_at)
    published = (
        publications_published()
        .filter(period_end__lte=as_at, published_at__date__lte=as_at)
        .first()
    )
    return RegisterStatement(
        as_at=as_at,
        live=live.count(),
        live_value=live.aggregate(v=Sum("awarded_value"))["v"] or Decimal("0.00"),
        awarded_in_year=awarded.count(),
        waivers_in_year=awarded.filter(procurement_route=Route.WAIVER).count(),
        last_published=published,
    )
