"""Reads of social value shared by the dashboards, the contract pages and the committee report.

How a figure is valued (one rule, used everywhere):
- The proxy in force for a financial year is the measure's ``MeasureProxy`` with the greatest
  ``valid_from_fy`` not after that year.
- £ committed = target quantity x the proxy in force in the commitment's financial year.
- £ delivered = verified quantity x the proxy in force in the return's financial year.
  Returns awaiting verification are shown apart ("awaiting"); rejected returns never count.
- Each commitment's and each return's value is rounded half up to a whole penny, and groups
  add those pennies, so a breakdown always adds up to its total. Money is integer pence.
- Social value per £1 of contract value: £ of social value ÷ £ of contract value. For a
  financial year the contract value is the share of the awarded value falling in that year
  (by days of the contract term); for all years it is the whole awarded value.

Selectors, one per figure (``fy`` is a financial year's starting year; ``None`` is all years):
``social_value_totals(fy)``, ``social_value_by_theme(fy)``, ``social_value_by_contract(fy)``,
``social_value_by_supplier(fy)``, ``social_value_by_year()``, ``social_value_by_measure(fy)``,
``overdue_returns(today)``, ``contract_social_value(contract)``,
``supplier_link_view(link)``, ``returns_awaiting_verification()``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from contracts.models import AwardedSupplier, Contract
from portal.formatting import percent
from portal.money import pence_from_decimal
from socialvalue.models import (
    Approach,
    Commitment,
    ContractApproach,
    DeliveryReturn,
    Measure,
    MeasureProxy,
    ReturnReminder,
    SupplierLink,
    Theme,
)
from socialvalue.periods import FyQuarter
from socialvalue.services import token_hash

Status = DeliveryReturn.Status
CONTRACT_WIDE = "All suppliers on the contract"

# ---------------------------------------------------------------------------- valuation

ProxyTable = dict[int, tuple[list[int], list[Decimal]]]


def proxy_table(measure_ids: Iterable[int] | None = None) -> ProxyTable:
    """Each measure's proxies as (years ascending, values), for ``proxy_in_force``."""
    rows = MeasureProxy.objects.order_by("measure_id", "valid_from_fy")
    if measure_ids is not None:
        rows = rows.filter(measure_id__in=list(measure_ids))
    table: ProxyTable = {}
    for measure_id, year, value in rows.values_list("measure_id", "valid_from_fy", "value"):
        years, values = table.setdefault(measure_id, ([], []))
        years.append(year)
        values.append(value)
    return table


def proxy_in_force(table: ProxyTable, measure_id: int, fy: int) -> Decimal | None:
    """The proxy with the greatest valid-from year not after ``fy``; None if there is none."""
    if measure_id not in table:
        return None
    years, values = table[measure_id]
    index = bisect_right(years, fy)
    return values[index - 1] if index else None


def measure_proxy_in_force(measure: Measure, fy: int) -> Decimal | None:
    return proxy_in_force(proxy_table([measure.pk]), measure.pk, fy)


def value_pence(quantity: Decimal, proxy: Decimal | None) -> int:
    """quantity x £ proxy, in whole pence rounded half up (0 when there is no proxy)."""
    if proxy is None:
        return 0
    return int((quantity * proxy * 100).quantize(Decimal(1), ROUND_HALF_UP))


def per_pound(social_value_pence: int, contract_value_pence: int | None) -> Decimal | None:
    """£ of social value per £1 of contract value, to the penny; None with no contract value."""
    if not contract_value_pence:
        return None
    return (Decimal(social_value_pence) / Decimal(contract_value_pence)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def pence_per_pound(social_value_pence: int, contract_value_pence: int | None) -> Decimal | None:
    """Pence of social value per £1 of contract value, to a hundredth of a penny: a large
    purchasing system's value would round every council's headline to "£0.00 per £1"."""
    if not contract_value_pence:
        return None
    return (Decimal(social_value_pence) * 100 / Decimal(contract_value_pence)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


class PencePerPound:
    """Social value per £1 of contract value (in £, and in pence for the headline), for
    figures that have a contract value."""

    committed_pence: int
    delivered_pence: int
    contract_value_pence: int | None

    @property
    def committed_per_pound(self) -> Decimal | None:
        return per_pound(self.committed_pence, self.contract_value_pence)

    @property
    def delivered_per_pound(self) -> Decimal | None:
        return per_pound(self.delivered_pence, self.contract_value_pence)

    @property
    def committed_pence_per_pound(self) -> Decimal | None:
        return pence_per_pound(self.committed_pence, self.contract_value_pence)

    @property
    def delivered_pence_per_pound(self) -> Decimal | None:
        return pence_per_pound(self.delivered_pence, self.contract_value_pence)


def contract_value_pence(
    awarded_value: Decimal, start: dt.date, end: dt.date | None, fy: int | None
) -> int | None:
    """The contract's value in pence, or for ``fy`` the share of it falling in that year by
    days of its term (None when the term has no end to share it over)."""
    whole = pence_from_decimal(awarded_value)
    if fy is None:
        return whole
    if end is None or end < start:
        return None
    first, last = max(start, dt.date(fy, 4, 1)), min(end, dt.date(fy + 1, 3, 31))
    if last < first:
        return 0
    share = Decimal((last - first).days + 1) / Decimal((end - start).days + 1)
    return int((whole * share).quantize(Decimal(1), ROUND_HALF_UP))


# ---------------------------------------------------------------------------- figures


@dataclass(kw_only=True)
class Figures:
    """Social value in pence: committed, delivered (verified) and awaiting verification."""

    committed_pence: int = 0
    delivered_pence: int = 0
    awaiting_pence: int = 0

    @property
    def delivered_percent(self) -> int | None:
        """Delivered as a whole percentage of committed (None when nothing is committed)."""
        return percent(self.delivered_pence, self.committed_pence)

    def add(self, kind: str, pence: int) -> None:
        if kind == "committed":
            self.committed_pence += pence
        elif kind == Status.VERIFIED:
            self.delivered_pence += pence
        elif kind == Status.SUBMITTED:
            self.awaiting_pence += pence


@dataclass(frozen=True)
class _Line:
    """One valued commitment or return."""

    kind: str  # "committed", or a return's status
    commitment_id: int
    contract_id: int
    supplier_key: str
    supplier_name: str
    measure_id: int
    theme_id: int
    fy: int
    quantity: Decimal
    proxy: Decimal | None
    pence: int


def _single_suppliers(contract_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(name key, name) of the only supplier of each contract that has exactly one."""
    names: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = AwardedSupplier.objects.filter(contract_id__in=contract_ids).values_list(
        "contract_id", "name_key", "name"
    )
    for contract_id, key, name in rows:
        names[contract_id].append((key, name))
    return {cid: found[0] for cid, found in names.items() if len(found) == 1}


def _lines(
    fy: int | None = None,
    *,
    contracts: Iterable[int] | None = None,
    commitment_filter: Q | None = None,
    include_rejected: bool = False,
) -> list[_Line]:
    commitments = Commitment.objects.all()
    if fy is not None:
        commitments = commitments.filter(period_fy=fy)
    if contracts is not None:
        commitments = commitments.filter(contract_id__in=list(contracts))
    if commitment_filter is not None:
        commitments = commitments.filter(commitment_filter)
    fields = (
        "id",
        "contract_id",
        "supplier__name_key",
        "supplier__name",
        "measure_id",
        "measure__outcome__theme_id",
        "period_fy",
        "target_quantity",
    )
    c_rows = list(commitments.values_list(*fields))
    returns = DeliveryReturn.objects.filter(commitment__in=commitments)
    if not include_rejected:
        returns = returns.exclude(status=Status.REJECTED)
    r_rows = list(returns.values_list("commitment_id", "period_fy", "quantity", "status"))
    by_id = {row[0]: row for row in c_rows}
    table = proxy_table({row[4] for row in c_rows})
    singles = _single_suppliers({row[1] for row in c_rows if row[2] is None})

    def line(kind: str, row: tuple[Any, ...], year: int, quantity: Decimal) -> _Line:
        cid, contract_id, key, name, measure_id, theme_id = row[:6]
        if key is None:
            key, name = singles.get(contract_id, (f"#contract-{contract_id}", CONTRACT_WIDE))
        proxy = proxy_in_force(table, measure_id, year)
        return _Line(
            kind,
            cid,
            contract_id,
            key,
            name,
            measure_id,
            theme_id,
            year,
            quantity,
            proxy,
            value_pence(quantity, proxy),
        )

    lines = [line("committed", row, row[6], row[7]) for row in c_rows]
    lines += [line(status, by_id[cid], year, quantity) for cid, year, quantity, status in r_rows]
    return lines


def _group(lines: Iterable[_Line], key: Callable[[_Line], Hashable]) -> dict[Any, Figures]:
    groups: dict[Any, Figures] = defaultdict(Figures)
    for item in lines:
        groups[key(item)].add(item.kind, item.pence)
    return groups


@dataclass(kw_only=True)
class SocialValueTotals(PencePerPound, Figures):
    """The council's totals. The per £1 figures leave out frameworks and dynamic purchasing
    systems: their awarded value is a ceiling on call-offs, not what was bought, and one
    £3.5bn system would make every other contract's social value read as nothing."""

    fy: int | None
    contracts: int = 0
    commitments: int = 0
    contract_value_pence: int | None = None  # of the contracts in the per £1 figures
    returns_awaiting: int = 0
    returns_rejected: int = 0
    frameworks_left_out: int = 0
    frameworks_value_pence: int = 0  # their awarded value (the share in ``fy``), left out
    # The social value of the contracts in the per £1 figures (frameworks' left out).
    per_pound: Figures = field(default_factory=Figures)

    @property
    def committed_per_pound(self) -> Decimal | None:
        return per_pound(self.per_pound.committed_pence, self.contract_value_pence)

    @property
    def delivered_per_pound(self) -> Decimal | None:
        return per_pound(self.per_pound.delivered_pence, self.contract_value_pence)

    @property
    def committed_pence_per_pound(self) -> Decimal | None:
        return pence_per_pound(self.per_pound.committed_pence, self.contract_value_pence)

    @property
    def delivered_pence_per_pound(self) -> Decimal | None:
        return pence_per_pound(self.per_pound.delivered_pence, self.contract_value_pence)


def _contract_values(contract_ids: Iterable[int], fy: int | None) -> dict[int, int | None]:
    rows = Contract.objects.filter(pk__in=list(contract_ids)).values_list(
        "pk", "awarded_value", "start_date", "end_date", "ended_on"
    )
    return {
        pk: contract_value_pence(value, start, ended_on or end, fy)
        for pk, value, start, end, ended_on in rows
    }


def social_value_totals(fy: int | None = None) -> SocialValueTotals:
    """The whole council's social value for a financial year (or all years)."""
    lines = _lines(fy, include_rejected=True)
    totals = SocialValueTotals(fy=fy)
    contract_ids = set()
    for item in lines:
        totals.add(item.kind, item.pence)
        if item.kind == "committed":
            totals.commitments += 1
            contract_ids.add(item.contract_id)
        elif item.kind == Status.SUBMITTED:
            totals.returns_awaiting += 1
        elif item.kind == Status.REJECTED:
            totals.returns_rejected += 1
    totals.contracts = len(contract_ids)
    frameworks = set(
        Contract.objects.filter(pk__in=contract_ids, framework=True).values_list("pk", flat=True)
    )
    by_contract = _contract_values(contract_ids, fy)
    values = [v for pk, v in by_contract.items() if pk not in frameworks]
    totals.contract_value_pence = (
        None if any(v is None for v in values) else sum(v for v in values if v is not None)
    )
    totals.frameworks_left_out = len(frameworks)
    totals.frameworks_value_pence = sum(by_contract.get(pk) or 0 for pk in frameworks)
    for item in lines:
        if item.contract_id not in frameworks:
            totals.per_pound.add(item.kind, item.pence)
    return totals


@dataclass(kw_only=True)
class ThemeFigures(Figures):
    code: str
    title: str


def social_value_by_theme(fy: int | None = None) -> list[ThemeFigures]:
    """Every theme in catalogue order, with its committed, delivered and awaiting £."""
    groups = _group(_lines(fy), lambda item: item.theme_id)
    return [
        ThemeFigures(code=t.code, title=t.title, **vars(groups.get(t.pk, Figures())))
        for t in Theme.objects.all()
    ]


@dataclass(kw_only=True)
class ContractFigures(PencePerPound, Figures):
    contract_id: int
    reference: str
    title: str
    approach: str
    suppliers: str
    contract_value_pence: int | None


def social_value_by_contract(fy: int | None = None) -> list[ContractFigures]:
    """Contracts with commitments (in ``fy``), largest committed first."""
    groups = _group(_lines(fy), lambda item: item.contract_id)
    values = _contract_values(groups, fy)
    approaches = dict(
        ContractApproach.objects.filter(contract_id__in=groups).values_list(
            "contract_id", "approach"
        )
    )
    labels = dict(ContractApproach._meta.get_field("approach").flatchoices)
    suppliers: dict[int, list[str]] = defaultdict(list)
    for cid, name in AwardedSupplier.objects.filter(contract_id__in=groups).values_list(
        "contract_id", "name"
    ):
        suppliers[cid].append(name)
    rows = [
        ContractFigures(
            contract_id=pk,
            reference=reference,
            title=title,
            approach=str(labels.get(approaches.get(pk, ""), "Not recorded")),
            suppliers="; ".join(suppliers[pk]),
            contract_value_pence=values.get(pk),
            **vars(groups[pk]),
        )
        for pk, reference, title in Contract.objects.filter(pk__in=groups).values_list(
            "pk", "reference", "title"
        )
    ]
    rows.sort(key=lambda r: (-r.committed_pence, r.reference))
    return rows


@dataclass(kw_only=True)
class SupplierFigures(Figures):
    name: str
    contracts: int


def social_value_by_supplier(fy: int | None = None) -> list[SupplierFigures]:
    """Suppliers (by name, across their contracts), largest committed first. A contract-wide
    commitment counts for the contract's supplier when it has one, else under its own row."""
    lines = _lines(fy)
    groups = _group(lines, lambda item: item.supplier_key)
    names: dict[str, str] = {}
    contracts: dict[str, set[int]] = defaultdict(set)
    for item in lines:
        names.setdefault(item.supplier_key, item.supplier_name)
        contracts[item.supplier_key].add(item.contract_id)
    rows = [
        SupplierFigures(name=names[key], contracts=len(contracts[key]), **vars(figures))
        for key, figures in groups.items()
    ]
    rows.sort(key=lambda r: (-r.committed_pence, r.name))
    return rows


@dataclass(kw_only=True)
class YearFigures(Figures):
    fy: int


def social_value_by_year() -> list[YearFigures]:
    """Every financial year with commitments, oldest first."""
    groups = _group(_lines(None), lambda item: item.fy)
    return [YearFigures(fy=year, **vars(groups[year])) for year in sorted(groups)]


def social_value_years() -> list[int]:
    """Financial years with commitments, newest first."""
    return sorted(set(Commitment.objects.values_list("period_fy", flat=True)), reverse=True)


@dataclass(kw_only=True)
class MeasureFigures(Figures):
    code: str
    title: str
    unit: str
    theme_code: str
    committed_units: Decimal = Decimal("0.00")
    delivered_units: Decimal = Decimal("0.00")
    awaiting_units: Decimal = Decimal("0.00")


def social_value_by_measure(fy: int | None = None) -> list[MeasureFigures]:
    """Measures with commitments, in catalogue order, in their own units and in £."""
    lines = _lines(fy)
    rows: dict[int, MeasureFigures] = {}
    measures = Measure.objects.filter(pk__in={item.measure_id for item in lines}).values_list(
        "pk", "code", "title", "unit", "outcome__theme__code"
    )
    for pk, code, title, unit, theme_code in measures:
        rows[pk] = MeasureFigures(code=code, title=title, unit=unit, theme_code=theme_code)
    for item in lines:
        row = rows[item.measure_id]
        row.add(item.kind, item.pence)
        if item.kind == "committed":
            row.committed_units += item.quantity
        elif item.kind == Status.VERIFIED:
            row.delivered_units += item.quantity
        elif item.kind == Status.SUBMITTED:
            row.awaiting_units += item.quantity
    order = list(Measure.objects.filter(pk__in=rows).values_list("pk", flat=True))
    return [rows[pk] for pk in order]


# ---------------------------------------------------------------------------- overdue


@dataclass(frozen=True)
class MissingReturn:
    commitment_id: int
    measure_code: str
    measure_title: str
    quarter: FyQuarter
    due: dt.date


@dataclass(kw_only=True)
class OverdueContract:
    contract_id: int
    reference: str
    title: str
    suppliers: str
    missing: list[MissingReturn] = field(default_factory=list)
    today: dt.date

    @property
    def oldest_due(self) -> dt.date:
        return min(m.due for m in self.missing)

    @property
    def days_overdue(self) -> int:
        return (self.today - self.oldest_due).days

    @property
    def quarters(self) -> str:
        return ", ".join(sorted({m.quarter.label for m in self.missing}))


def overdue_returns(today: dt.date, *, sent_by: dt.date | None = None) -> list[OverdueContract]:
    """Contracts with a commitment whose quarterly return is past due (30 days after the
    quarter ends) and has not been sent, or was rejected and not sent again. Quarters
    outside the contract's term are not expected. Most overdue first."""
    returns = DeliveryReturn.objects.exclude(status=Status.REJECTED)
    if sent_by is not None:
        # As at an earlier day (a report's): a return sent later was still overdue then,
        # and one rejected later was still sent.
        rejected_by_then = Q(status=Status.REJECTED) & (
            Q(reviewed_at__isnull=True) | Q(reviewed_at__date__lte=sent_by)
        )
        returns = DeliveryReturn.objects.filter(submitted_at__date__lte=sent_by).exclude(
            rejected_by_then
        )
    sent = set(returns.values_list("commitment_id", "period_fy", "quarter"))
    commitments = Commitment.objects.filter(
        period_fy__lte=FyQuarter.containing(today).fy
    ).select_related("contract", "measure")
    result: dict[int, OverdueContract] = {}
    for commitment in commitments:
        contract = commitment.contract
        ends = contract.effective_end
        for quarter in FyQuarter.of_year(commitment.period_fy):
            if quarter.due >= today or quarter.end < contract.start_date:
                continue
            if ends is not None and quarter.start > ends:
                continue
            if (commitment.pk, quarter.fy, quarter.quarter) in sent:
                continue
            entry = result.setdefault(
                contract.pk,
                OverdueContract(
                    contract_id=contract.pk,
                    reference=contract.reference,
                    title=contract.title,
                    suppliers="",
                    today=today,
                ),
            )
            entry.missing.append(
                MissingReturn(
                    commitment.pk,
                    commitment.measure.code,
                    commitment.measure.title,
                    quarter,
                    quarter.due,
                )
            )
    names: dict[int, list[str]] = defaultdict(list)
    for cid, name in AwardedSupplier.objects.filter(contract_id__in=result).values_list(
        "contract_id", "name"
    ):
        names[cid].append(name)
    for cid, entry in result.items():
        entry.suppliers = "; ".join(names[cid])
        # Quarters in order, oldest first, whatever order the commitments came in.
        entry.missing.sort(key=lambda m: (m.due, m.measure_code))
    return sorted(result.values(), key=lambda e: (e.oldest_due, e.reference))


def last_reminders(contract_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """When each contract's suppliers were last reminded of overdue returns."""
    rows = (
        ReturnReminder.objects.filter(contract_id__in=list(contract_ids))
        .values("contract_id")
        .annotate(last=Max("sent_at"))
    )
    return {row["contract_id"]: row["last"] for row in rows}


# ---------------------------------------------------------------------------- one contract


@dataclass(kw_only=True)
class ReturnLine:
    record: DeliveryReturn
    proxy: Decimal | None
    pence: int


@dataclass(kw_only=True)
class CommitmentLine(Figures):
    commitment: Commitment
    proxy: Decimal | None
    delivered_units: Decimal = Decimal("0.00")
    awaiting_units: Decimal = Decimal("0.00")
    returns: list[ReturnLine] = field(default_factory=list)


@dataclass(kw_only=True)
class ContractSocialValue(PencePerPound, Figures):
    contract: Contract
    approach: ContractApproach | None
    commitments: list[CommitmentLine]
    contract_value_pence: int | None

    @property
    def is_empty(self) -> bool:
        return self.approach is None and not self.commitments


def _commitment_lines(commitments: QuerySet[Commitment]) -> list[CommitmentLine]:
    commitments = commitments.select_related("measure__outcome__theme", "supplier").order_by(
        "period_fy", "measure__code", "pk"
    )
    items = list(commitments)
    if not items:  # most contracts' pages: no proxies or returns to look for
        return []
    table = proxy_table({c.measure_id for c in items})
    returns: dict[int, list[DeliveryReturn]] = defaultdict(list)
    for record in (
        DeliveryReturn.objects.filter(commitment__in=[c.pk for c in items])
        .order_by("period_fy", "quarter", "submitted_at")
        .select_related("reviewed_by")
    ):
        returns[record.commitment_id].append(record)
    lines: list[CommitmentLine] = []
    for commitment in items:
        proxy = proxy_in_force(table, commitment.measure_id, commitment.period_fy)
        line = CommitmentLine(commitment=commitment, proxy=proxy)
        line.add("committed", value_pence(commitment.target_quantity, proxy))
        for record in returns[commitment.pk]:
            r_proxy = proxy_in_force(table, commitment.measure_id, record.period_fy)
            pence = value_pence(record.quantity, r_proxy)
            line.returns.append(ReturnLine(record=record, proxy=r_proxy, pence=pence))
            line.add(record.status, pence)
            if record.status == Status.VERIFIED:
                line.delivered_units += record.quantity
            elif record.status == Status.SUBMITTED:
                line.awaiting_units += record.quantity
        lines.append(line)
    return lines


def _summary(
    contract: Contract, lines: list[CommitmentLine], approach: ContractApproach | None
) -> ContractSocialValue:
    summary = ContractSocialValue(
        contract=contract,
        approach=approach,
        commitments=lines,
        contract_value_pence=contract_value_pence(
            contract.awarded_value, contract.start_date, contract.effective_end, None
        ),
    )
    for line in lines:
        summary.committed_pence += line.committed_pence
        summary.delivered_pence += line.delivered_pence
        summary.awaiting_pence += line.awaiting_pence
    return summary


def contract_social_value(contract: Contract) -> ContractSocialValue:
    """A contract's approach, commitments and returns, each valued (all years)."""
    # Most contracts have neither (the panel on every contract page): one query says which
    # there are, and only those are read.
    has_approach, has_commitments = (
        Contract.objects.filter(pk=contract.pk)
        .values_list(
            Exists(ContractApproach.objects.filter(contract=OuterRef("pk"))),
            Exists(Commitment.objects.filter(contract=OuterRef("pk"))),
        )
        .get()
    )
    approach = ContractApproach.objects.filter(contract=contract).first() if has_approach else None
    lines = (
        _commitment_lines(Commitment.objects.filter(contract=contract)) if has_commitments else []
    )
    return _summary(contract, lines, approach)


def supplier_link_view(link: SupplierLink) -> ContractSocialValue:
    """What a supplier sees through its link: that contract only, and only the commitments
    that are its own or the contract's as a whole."""
    commitments = Commitment.objects.filter(contract_id=link.contract_id).filter(
        Q(supplier__isnull=True) | Q(supplier_id=link.supplier_id)
    )
    approach = ContractApproach.objects.filter(contract_id=link.contract_id).first()
    return _summary(link.contract, _commitment_lines(commitments), approach)


def contract_links(contract: Contract) -> QuerySet[SupplierLink]:
    return SupplierLink.objects.filter(contract=contract).select_related("supplier", "created_by")


def returns_awaiting_verification() -> QuerySet[DeliveryReturn]:
    return (
        DeliveryReturn.objects.filter(status=Status.SUBMITTED)
        .select_related("commitment__contract", "commitment__measure")
        .order_by("submitted_at")
    )


# ---------------------------------------------------------------------------- links


class LinkInvalid(Exception):
    """No link has this token (mistyped, cut short or made up)."""


class LinkExpired(Exception):
    def __init__(self, link: SupplierLink) -> None:
        self.link = link
        super().__init__("expired")


def supplier_link_by_token(token: str) -> SupplierLink:
    if not token or len(token) > 100:
        raise LinkInvalid
    link = (
        SupplierLink.objects.select_related("contract", "supplier")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        raise LinkInvalid
    if not link.is_live:
        raise LinkExpired(link)
    return link


def catalogue() -> QuerySet[Theme]:
    """Themes with their outcomes, measures and proxies, for the catalogue page."""
    return Theme.objects.prefetch_related("outcomes__measures__proxies")


@dataclass(kw_only=True)
class ApproachFigures(Figures):
    approach: str  # its label: "Additional social value", ..., or "Not recorded"
    contracts: int = 0


def social_value_by_approach(fy: int | None = None) -> list[ApproachFigures]:
    """Contracts with commitments (in ``fy``) by their social value approach: how many and
    their value, in the order of the approaches, those with none recorded last."""
    order = [str(label) for _, label in Approach.choices] + ["Not recorded"]
    groups = {label: ApproachFigures(approach=label) for label in order}
    for row in social_value_by_contract(fy):
        group = groups[row.approach]
        group.contracts += 1
        group.committed_pence += row.committed_pence
        group.delivered_pence += row.delivered_pence
        group.awaiting_pence += row.awaiting_pence
    return list(groups.values())
