"""Reads of the contract register shared by pages, exports and reports.

- ``contracts_list`` / ``contract_search``: the officers' register.
- ``award_monitoring(fy)``: the scrutiny report's monthly award table.
- ``forward_plan(today)``: contracts ending in the next 24 months, by quarter.
- ``latest_publication``, ``published_contracts``: the public register (published only).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from contracts.models import AwardedSupplier, Contract, Publication, PublishedContract
from contracts.quarters import Quarter, fy_months
from portal.locality import LocalityClass, classify_postcode

# --- The officers' register -----------------------------------------------------------------


def contracts_list() -> QuerySet[Contract]:
    return Contract.objects.annotate(supplier_count=Count("suppliers")).order_by("reference")


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


def contract_suppliers(contract: Contract) -> list[tuple[AwardedSupplier, LocalityClass]]:
    return [(s, classify_postcode(s.postcode)) for s in contract.suppliers.all()]


# --- Award monitoring -----------------------------------------------------------------------

EXCEPTIONAL_SUPPLIERS = 50  # a month is footnoted when one award appoints this many suppliers
EXCEPTIONAL_SHARE = Decimal("0.5")  # … or is worth half the year's value awarded


def whole_percent(part: int, whole: int) -> int | None:
    """A whole percentage, rounded half up; None when there is nothing to divide."""
    if whole == 0:
        return None
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


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
        return whole_percent(self.home, self.suppliers)

    @property
    def pct_region(self) -> int | None:
        return whole_percent(self.region, self.suppliers)

    @property
    def pct_elsewhere(self) -> int | None:
        return whole_percent(self.elsewhere, self.suppliers)


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
    for contract_id, award_date, value, reference, title, postcode, sme, vcfs in rows:
        month = figures[award_date.replace(day=1)]
        if contract_id not in contracts:
            contracts[contract_id] = (award_date, value, reference, title)
            for target in (month, year):
                target.value_awarded += value
                target.contracts += 1
        per_contract[contract_id] += 1
        place = classify_postcode(postcode)
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
    return sorted({d.year if d.month >= 4 else d.year - 1 for d in dates}, reverse=True)


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
    """Registered contracts, not ended early, whose end date falls in the next 24 months."""
    return (
        Contract.objects.filter(
            status=Contract.Status.REGISTERED,
            ended_on__isnull=True,
            end_date__gte=today,
            end_date__lte=_months_later(today, FORWARD_MONTHS),
        )
        .annotate(supplier_count=Count("suppliers"))
        .order_by("end_date", "reference")
    )


@dataclass
class ForwardQuarter:
    quarter: Quarter
    contracts: list[Contract] = field(default_factory=list)
    value: Decimal = Decimal("0.00")
    reprocurement_started: int = 0

    @property
    def not_started(self) -> int:
        return len(self.contracts) - self.reprocurement_started


def forward_plan(today: date) -> list[ForwardQuarter]:
    """Every quarter of the next 24 months (empty ones too), with the contracts ending in it."""
    quarters: dict[Quarter, ForwardQuarter] = {}
    quarter, last = (
        Quarter.containing(today),
        Quarter.containing(_months_later(today, FORWARD_MONTHS)),
    )
    while quarter <= last:
        quarters[quarter] = ForwardQuarter(quarter)
        quarter = quarter.next()
    for contract in forward_plan_contracts(today):
        assert contract.end_date is not None
        bucket = quarters[Quarter.containing(contract.end_date)]
        bucket.contracts.append(contract)
        bucket.value += contract.awarded_value
        bucket.reprocurement_started += contract.reprocurement_started
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


@dataclass
class ContractSpend:
    spend_pence: int
    value: Decimal
    suppliers_matched: int

    @property
    def percent_of_value(self) -> int | None:
        if not self.value:
            return None
        return whole_percent(self.spend_pence, int(self.value * 100))


def _ledger_suppliers(numbers: set[str], companies: set[str]) -> QuerySet[Any]:
    """Ledger suppliers matching awarded suppliers by supplier number, or by company number
    once the ledger's suppliers are enriched from Companies House."""
    from spend.models import Supplier

    numbers, companies = numbers - {""}, companies - {""}
    if not numbers and not companies:
        return Supplier.objects.none()
    return Supplier.objects.filter(Q(supplier_number__in=numbers) | Q(company_number__in=companies))


def contract_spend(contract: Contract, *, today: date) -> ContractSpend:
    """Spend to date with the contract's suppliers within its dates, against its value."""
    from django.db.models import Sum

    from spend.models import Payment

    awarded = list(contract.suppliers.values_list("supplier_number", "company_number"))
    suppliers = _ledger_suppliers({n for n, _ in awarded}, {c for _, c in awarded})
    end = min(d for d in (contract.effective_end, today) if d is not None)
    total = (
        Payment.objects.spend()
        .filter(
            supplier__in=suppliers,
            payment_date__gte=contract.start_date,
            payment_date__lte=end,
        )
        .aggregate(total=Sum("amount_pence"))["total"]
        or 0
    )
    return ContractSpend(int(total), contract.awarded_value, suppliers.count())


def live_contracts(today: date) -> QuerySet[Contract]:
    return Contract.objects.filter(
        status=Contract.Status.REGISTERED, start_date__lte=today
    ).exclude(Q(ended_on__lt=today) | Q(ended_on__isnull=True, end_date__lt=today))


def spend_without_contract(
    *, threshold_pence: int, start: date, end: date, today: date
) -> list[tuple[Any, int]]:
    """Ledger suppliers paid at least ``threshold_pence`` between ``start`` and ``end`` with no
    live contract (matched by supplier number or company number), biggest first."""
    from django.db.models import Sum

    from spend.models import Payment

    awarded = AwardedSupplier.objects.filter(contract__in=live_contracts(today))
    numbers = set(awarded.values_list("supplier_number", flat=True)) - {""}
    companies = set(awarded.values_list("company_number", flat=True)) - {""}
    rows = (
        Payment.objects.spend()
        .filter(payment_date__gte=start, payment_date__lte=end)
        .exclude(supplier__supplier_number__in=numbers)
        .exclude(Q(supplier__company_number__in=companies) & ~Q(supplier__company_number=""))
        .values("supplier")
        .annotate(total=Sum("amount_pence"))
        .filter(total__gte=threshold_pence)
        .order_by("-total")
    )
    from spend.models import Supplier

    names = Supplier.objects.in_bulk([r["supplier"] for r in rows])
    return [(names[r["supplier"]], int(r["total"])) for r in rows]


def register_uploads_kept() -> Any:
    """Register uploads still kept: waiting, or not imported (to map, run again or discard)."""
    from contracts.models import RegisterUpload

    return RegisterUpload.objects.filter(
        status__in=[RegisterUpload.Status.WAITING, RegisterUpload.Status.FAILED]
    ).select_related("job", "uploaded_by")[:20]


def register_upload_headings(upload: Any) -> list[str]:
    """The headings of a kept upload's likeliest header row ([] when the file is gone)."""
    from contracts.layout import file_headings

    return file_headings(upload.path) if upload.path.is_file() else []


def register_import_drafts(upload: Any) -> QuerySet[Contract]:
    """The contracts an import left as drafts to complete (those still flagged)."""
    references = [str(f).split(": ", 1)[0] for f in (upload.result or {}).get("flagged", [])]
    return Contract.objects.filter(reference__in=references).exclude(needs_attention="")
