"""Social value test data, created here with known figures (not the starter catalogue's),
from the factories in tests/factories.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from contracts.models import Contract
from portal.models import User
from socialvalue import services
from socialvalue.models import Commitment, DeliveryReturn, Measure, Theme
from tests.factories import (
    AwardedSupplierFactory,
    ContractFactory,
    MeasureFactory,
    MeasureProxyFactory,
    ThemeFactory,
)

# A tiny PDF is enough for the content check (it starts %PDF-).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_contract(
    reference: str, value: str, start: dt.date, end: dt.date | None, suppliers: list[str]
) -> Contract:
    contract = ContractFactory.create(
        reference=reference, award_date=start, end_date=end, awarded_value=Decimal(value)
    )
    for name in suppliers:
        AwardedSupplierFactory.create(contract=contract, name=name)
    return contract


def make_measure(code: str, theme: Theme, unit: str, proxies: dict[int, str]) -> Measure:
    measure = MeasureFactory.create(code=code, outcome__theme=theme, unit=unit)
    for year, value in proxies.items():
        MeasureProxyFactory.create(measure=measure, valid_from_fy=year, value=Decimal(value))
    return measure


@dataclass
class World:
    officer: User
    c1: Contract
    c2: Contract
    hours: Measure
    tonnes: Measure
    theme_a: Theme
    theme_b: Theme
    commit_hours_2023: Commitment
    commit_hours_2024: Commitment
    commit_tonnes_2024: Commitment
    commit_c2: Commitment


def submit(commitment: Commitment, quarter: int, quantity: str, **kwargs: object) -> DeliveryReturn:
    return services.delivery_return_submit(
        commitment=commitment,
        quarter=quarter,
        quantity=Decimal(quantity),
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def world(officer: User) -> World:
    """Two contracts, two measures (one whose proxy changes in 2024), commitments in 2023 and
    2024, and returns of every status. The expected figures are worked in test_figures.py."""
    theme_a = ThemeFactory.create(code="TA", title="Theme A", position=90)
    theme_b = ThemeFactory.create(code="TB", title="Theme B", position=91)
    hours = make_measure("TA1.1", theme_a, "hours", {2023: "18.00", 2024: "20.00"})
    tonnes = make_measure("TB1.1", theme_b, "tonnes", {2023: "103.70"})
    c1 = make_contract(
        "SV-C1", "20000.00", dt.date(2023, 4, 1), dt.date(2025, 3, 31), ["Alpha Care Ltd"]
    )
    c2 = make_contract(
        "SV-C2", "4000.00", dt.date(2024, 4, 1), dt.date(2025, 3, 31), ["Beta Ltd", "Gamma Ltd"]
    )
    gamma = c2.suppliers.get(name="Gamma Ltd")
    h23 = services.commitment_create(
        contract=c1,
        measure=hours,
        target_quantity=Decimal(100),
        period_fy=2023,
        note="C1 hours 2023",
        user=officer,
    )
    h24 = services.commitment_create(
        contract=c1,
        measure=hours,
        target_quantity=Decimal(100),
        period_fy=2024,
        note="C1 hours 2024",
        user=officer,
    )
    t24 = services.commitment_create(
        contract=c1,
        measure=tonnes,
        target_quantity=Decimal("12.5"),
        period_fy=2024,
        note="C1 tonnes 2024",
        user=officer,
    )
    c2c = services.commitment_create(
        contract=c2,
        measure=hours,
        target_quantity=Decimal(40),
        period_fy=2024,
        supplier=gamma,
        note="C2 Gamma hours",
        user=officer,
    )
    verify = services.delivery_return_verify
    reject = services.delivery_return_reject
    verify(delivery_return=submit(h23, 1, "30"), user=officer)
    reject(delivery_return=submit(h23, 2, "25"), reason="No timesheets", user=officer)
    verify(delivery_return=submit(h23, 2, "20"), user=officer)  # sent again after rejection
    verify(delivery_return=submit(h24, 1, "30"), user=officer)
    submit(h24, 2, "10")  # awaiting verification
    verify(delivery_return=submit(t24, 1, "3.33"), user=officer)
    reject(delivery_return=submit(c2c, 1, "10"), reason="Wrong quarter", user=officer)
    return World(officer, c1, c2, hours, tonnes, theme_a, theme_b, h23, h24, t24, c2c)
