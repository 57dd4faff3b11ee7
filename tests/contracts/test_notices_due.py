"""The Act notices the register says are due: a contract details notice 30 days after award
(120 for light touch), and a breach or failure to perform 30 days after the decision, naming
the obligation. Deadlines are worked out here from the dates the test records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts import selectors
from contracts.models import Contract, Notice, PerformanceFailure, Regime

pytestmark = pytest.mark.django_db

AWARD = dt.date(2026, 2, 2)


def _contract(reference: str, regime: str, gross: str = "50000.00") -> Contract:
    return Contract.objects.create(
        reference=reference,
        title=f"Contract {reference}",
        department="Resources",
        award_date=AWARD,
        start_date=AWARD,
        end_date=dt.date(2029, 3, 31),
        awarded_value=Decimal(gross) / Decimal("1.2"),
        awarded_value_gross=Decimal(gross),
        regime=regime,
    )


def test_a_details_notice_is_due_30_days_after_award_and_120_for_light_touch() -> None:
    act = _contract("ACT-1", Regime.ACT)
    light = _contract("LIGHT-1", Regime.LIGHT_TOUCH)
    _contract("PCR-1", Regime.PCR_2015)  # procured before the Act: no Act notices
    assert selectors.notice_deadline(Notice.Kind.CONTRACT_DETAILS, act) == AWARD + dt.timedelta(
        days=30
    )
    assert selectors.notice_deadline(Notice.Kind.CONTRACT_DETAILS, light) == AWARD + dt.timedelta(
        days=120
    )
    today = AWARD + dt.timedelta(days=31)  # the Act contract's notice is a day late
    due = selectors.notices_due(today)
    assert [(d.contract.reference, d.kind, d.deadline, d.overdue) for d in due] == [
        ("ACT-1", Notice.Kind.CONTRACT_DETAILS, AWARD + dt.timedelta(days=30), True),
        ("LIGHT-1", Notice.Kind.CONTRACT_DETAILS, AWARD + dt.timedelta(days=120), False),
    ]


def test_a_breach_is_due_30_days_after_the_decision_naming_the_obligation() -> None:
    contract = _contract("ACT-2", Regime.ACT, gross="20000.00")  # under £30,000: no details
    decided = dt.date(2026, 6, 15)
    PerformanceFailure.objects.create(
        contract=contract,
        requirement="Bins emptied weekly",
        description="Missed for three weeks",
        decision_date=decided,
    )
    [due] = selectors.notices_due(dt.date(2026, 7, 1))
    assert (due.kind, due.deadline, due.overdue) == (
        Notice.Kind.PERFORMANCE,
        decided + dt.timedelta(days=30),
        False,
    )
    assert due.note == "Breach or failure to perform decided 15 June 2026: Bins emptied weekly"
