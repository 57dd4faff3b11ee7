"""Spend fixtures: a ledger loaded from generated extracts through the real import, and the
figures the dashboards should show, computed here from the generator's own plan (never from
the ledger, the summary or the selectors)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from demo.extracts import (
    GeneratedExtracts,
    GeneratorConfig,
    _Weights,
    build_suppliers,
    generate_extracts,
    month_payments,
    plan_extracts,
)
from spend import services
from spend.models import ImportBatch

# Four years, 2020/21 to 2023/24: R12 until December 2022, then Fusion. The first R12 file has
# no address columns (so 2020/21 is a "-" year), August 2021 has no payments (2021/22 is
# incomplete), and the data stop at 31 March 2024.
CONFIG = GeneratorConfig(
    seed=11,
    first_fy=2020,
    years=4,
    as_of=dt.date(2024, 3, 31),
    suppliers=300,
    payments_per_month=50,
)

# The starting category rules (spend migration 0002), written out again by hand.
ACCOUNT_CATEGORY = {
    "50900": "Agency staff",
    "50910": "Agency staff",
    "51200": "Energy and utilities",
    "51210": "Energy and utilities",
    "52100": "Waste",
    "52500": "Supplies and services",
    "52700": "Supplies and services",
    "52900": "Professional services",
    "53100": "Construction and assets",
    "53700": "Digital and ICT",
    "54300": "Public health",
    "54800": "Transport",
    "55100": "Adult social care",
    "55200": "Adult social care",
    "56100": "Children's services",
}


@dataclass(frozen=True)
class Line:
    """One spend payment line as the generator planned it."""

    fy: int
    month: dt.date
    day: dt.date
    supplier: str  # supplier number
    name: str
    site: str  # site code
    locality: str
    category: str
    pence: int
    invoice: str
    payment: str
    cost_centre: str
    expense: str


@dataclass
class Expected:
    lines: list[Line] = field(default_factory=list)
    not_spend: int = 0
    credits: int = 0
    months_without_payments: list[tuple[int, int]] = field(default_factory=list)

    def where(self, **match: object) -> list[Line]:
        return [line for line in self.lines if all(getattr(line, k) == v for k, v in match.items())]

    def total(self, **match: object) -> int:
        return sum(line.pence for line in self.where(**match))

    def by_supplier(self, fy: int) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for line in self.where(fy=fy):
            out[line.supplier] += line.pence
        return dict(out)


def expected_lines(cfg: GeneratorConfig) -> Expected:
    """Every spend line the ledger should hold, from the generator's plan (overlaps once)."""
    suppliers = build_suppliers(cfg)
    weights = _Weights(len(suppliers))
    out = Expected()
    seen: set[tuple[int, int]] = set()
    for plan in plan_extracts(cfg):
        if not plan.primary:
            continue
        no_address = "no_address" in plan.quirks
        for year, month in plan.months:
            if (year, month) in seen:
                continue
            seen.add((year, month))
            count = 0
            for p in month_payments(cfg, suppliers, weights, year, month):
                count += 1
                if not p.is_spend:
                    out.not_spend += 1
                    continue
                supplier = suppliers[p.supplier]
                site = supplier.sites[p.site]
                locality = "unknown" if no_address or not site.district else site.locality
                out.credits += p.pence < 0
                out.lines.append(
                    Line(
                        fy=year if month >= 4 else year - 1,
                        month=dt.date(year, month, 1),
                        day=p.payment_date,
                        supplier=supplier.number,
                        name=supplier.fusion_name if plan.layout == "fusion" else supplier.r12_name,
                        site=site.code,
                        locality=locality,
                        category=ACCOUNT_CATEGORY[p.account],
                        pence=p.pence,
                        invoice=p.invoice_number,
                        payment=str(p.payment_number),
                        cost_centre=p.cost_centre,
                        expense=p.account_description,
                    )
                )
            if count == 0:
                out.months_without_payments.append((year, month))
    return out


@pytest.fixture(scope="session")
def expected() -> Expected:
    return expected_lines(CONFIG)


@pytest.fixture(scope="session")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> GeneratedExtracts:
    return generate_extracts(tmp_path_factory.mktemp("extracts"), CONFIG)


def import_extracts(extracts: GeneratedExtracts) -> list[ImportBatch]:
    batches = services.import_paths(paths=[path for path, _ in extracts.files])
    assert all(b.status == ImportBatch.Status.LOADED for b in batches), [b.error for b in batches]
    return batches


@pytest.fixture
def ledger(db: None, extracts: GeneratedExtracts) -> list[ImportBatch]:
    """The generated extracts imported through the real import path."""
    return import_extracts(extracts)
