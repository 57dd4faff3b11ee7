"""Demo social value: commitments and quarterly returns on the demo register's contracts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract
from socialvalue.models import Approach, Commitment, DeliveryReturn, Measure
from socialvalue.periods import FyQuarter, financial_year_of
from socialvalue.services import catalogue_load_starter, contract_approach_set


def plausible_target(
    unit: str, awarded_value: Decimal, scale: Decimal, rng: random.Random
) -> Decimal:
    """A target a supplier might really commit to, by the measure's unit: a share of the
    contract's value for money measures, up to 100 for a percentage, tens of hours, a few
    jobs; ``scale`` grows with the contract's size (the square root of its £m)."""
    unit = unit.lower()
    if unit.startswith("%"):
        return Decimal(rng.randint(90, 100))  # e.g. invoices paid within 30 days
    if unit.startswith("£"):
        share = Decimal(str(rng.uniform(0.002, 0.02)))  # 0.2% to 2% of the value
        return max(Decimal(500), (awarded_value * share).quantize(Decimal("100")))
    ranges = {
        "hours": (20, 150),
        "weeks": (4, 40),
        "square metres": (50, 800),
        "miles": (500, 10_000),
        "tco2e": (5, 60),
        "tonnes": (5, 60),
    }
    low, high = ranges.get(unit, (1, 4))  # FTEs, people, vehicles: a few
    value = Decimal(rng.randint(low, high)) * min(scale, Decimal(5))
    return max(Decimal(1), value.quantize(Decimal("1")))


@dataclass(frozen=True)
class DemoLoaded:
    contracts: int
    commitments: int
    returns: int


@transaction.atomic
def demo_social_value_load(*, seed: int = 20240401, contracts: int = 40) -> DemoLoaded:
    """Realistic commitments and returns on existing contracts (the largest, running ones):
    a few measures each per contract year, quarterly returns for quarters already due, most
    verified, some awaiting verification, a few rejected and one quarter in five missing.
    Contracts that already have commitments are left alone; with no contracts, nothing."""
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    catalogue_load_starter()
    measures = list(Measure.objects.filter(active=True).prefetch_related("proxies"))
    if not measures:
        return DemoLoaded(0, 0, 0)
    today = timezone.localdate()
    current = financial_year_of(today)
    candidates = (
        Contract.objects.filter(status=Contract.Status.REGISTERED)
        .exclude(social_value_commitments__isnull=False)
        .order_by("-awarded_value", "reference")[:contracts]
    )
    reasons = [
        "The evidence does not show the hours claimed.",
        "The apprentices named started before the contract.",
        "Please attach the payroll summary for the quarter.",
    ]
    done_contracts = done_commitments = done_returns = 0
    for contract in candidates:
        supplier = contract.suppliers.first()
        first_fy = max(financial_year_of(contract.start_date), current - 2)
        end = contract.effective_end
        last_fy = min(financial_year_of(end) if end else current + 1, current)
        if last_fy < first_fy:
            continue
        contract_approach_set(
            contract=contract,
            approach=rng.choice(
                [Approach.PRESCRIBED, Approach.PRESCRIBED, Approach.ADDITIONAL, Approach.REQUIRED]
            ),
            notes="",
            user=None,
        )
        done_contracts += 1
        scale = max(Decimal(1), (contract.awarded_value / Decimal(1_000_000)).sqrt())
        chosen = rng.sample(measures, k=min(len(measures), rng.randint(2, 5)))
        for fy in range(first_fy, last_fy + 1):
            for measure in chosen:
                proxy_years = [p.valid_from_fy for p in measure.proxies.all()]
                if not proxy_years or min(proxy_years) > fy:
                    continue
                target = plausible_target(measure.unit, contract.awarded_value, scale, rng)
                commitment = Commitment.objects.create(
                    contract=contract,
                    supplier=supplier,
                    measure=measure,
                    target_quantity=target,
                    period_fy=fy,
                    note="Demo commitment",
                )
                done_commitments += 1
                for quarter in FyQuarter.of_year(fy):
                    if quarter.due >= today or quarter.end < contract.start_date:
                        continue
                    roll = rng.random()
                    if roll < 0.2:
                        continue  # missing: shows as overdue
                    quantity = (target / 4 * Decimal(rng.uniform(0.5, 1.3))).quantize(
                        Decimal("0.01")
                    )
                    status = (
                        DeliveryReturn.Status.VERIFIED
                        if roll < 0.85
                        else DeliveryReturn.Status.SUBMITTED
                        if roll < 0.95
                        else DeliveryReturn.Status.REJECTED
                    )
                    DeliveryReturn.objects.create(
                        commitment=commitment,
                        period_fy=fy,
                        quarter=quarter.quarter,
                        quantity=quantity,
                        status=status,
                        evidence_note="Quarterly monitoring report and timesheets.",
                        submitted_by_name="Contract manager",
                        rejection_reason=rng.choice(reasons)
                        if status == DeliveryReturn.Status.REJECTED
                        else "",
                        reviewed_at=timezone.now()
                        if status != DeliveryReturn.Status.SUBMITTED
                        else None,
                    )
                    done_returns += 1
    return DemoLoaded(done_contracts, done_commitments, done_returns)
