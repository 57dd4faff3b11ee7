"""The Act notices the register says are due: a contract details notice 30 days after award
(120 for light touch), and a breach or failure to perform 30 days after the decision, naming
the obligation. Deadlines are worked out here from the dates the test records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts import selectors
from contracts.models import Contract, ContractChange, Notice, PerformanceFailure, Regime

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


# --- The calendar's boundaries: each day and amount the council's duties turn on ------------


def _due(today: dt.date, **kwargs: bool) -> list[tuple[str, str, dt.date, bool]]:
    return [
        (d.contract.reference, d.kind, d.deadline, d.overdue)
        for d in selectors.notices_due(today, **kwargs)
    ]


def test_a_notice_due_today_is_not_yet_overdue_and_is_the_day_after() -> None:
    _contract("ACT-3", Regime.ACT)
    deadline = AWARD + dt.timedelta(days=30)
    assert _due(deadline) == [("ACT-3", Notice.Kind.CONTRACT_DETAILS, deadline, False)]
    assert _due(deadline + dt.timedelta(days=1)) == [
        ("ACT-3", Notice.Kind.CONTRACT_DETAILS, deadline, True)
    ]


def test_a_details_notice_is_needed_from_exactly_30000_including_vat() -> None:
    _contract("AT-30000", Regime.ACT, gross="30000.00")
    _contract("UNDER", Regime.ACT, gross="29999.99")
    unrecorded = _contract("NO-GROSS", Regime.ACT)
    Contract.objects.filter(pk=unrecorded.pk).update(awarded_value_gross=None)
    due = selectors.notices_due(AWARD)
    assert [d.contract.reference for d in due] == ["AT-30000", "NO-GROSS"]
    assert due[0].note == ""
    assert due[1].note == (
        "Value including VAT not recorded: a notice is needed from £30,000 including VAT; "
        "record the value to be sure."
    )


def test_a_termination_notice_is_due_from_the_day_the_contract_ends() -> None:
    ends = dt.date(2026, 9, 30)
    contract = _contract("ENDS", Regime.ACT, gross="20000.00")  # no details notice needed
    Contract.objects.filter(pk=contract.pk).update(end_date=ends)
    assert _due(ends - dt.timedelta(days=1)) == []
    assert _due(ends) == [("ENDS", Notice.Kind.TERMINATION, ends + dt.timedelta(days=30), False)]


def test_a_report_as_at_a_day_counts_what_stood_that_day_and_that_day_itself() -> None:
    as_at = dt.date(2026, 3, 31)
    _contract("BEFORE", Regime.ACT, gross="20000.00")
    later = _contract("AWARDED-LATER", Regime.ACT)
    Contract.objects.filter(pk=later.pk).update(
        award_date=as_at + dt.timedelta(days=1), start_date=as_at + dt.timedelta(days=1)
    )
    changed = _contract("CHANGED", Regime.ACT, gross="20000.00")
    for day in (as_at, as_at + dt.timedelta(days=1)):
        ContractChange.objects.create(
            contract=changed,
            changed_on=day,
            ground="Schedule 8 paragraph 5",
            value_before=Decimal("16666.67"),
            value_after=Decimal("33333.33"),
        )
    # The change made on the day is in; the one made the day after, and the contract
    # awarded after it, are not.
    stood = selectors.notices_due(as_at, as_it_stood=True)
    assert [(d.contract.reference, d.kind, d.deadline) for d in stood] == [
        ("CHANGED", Notice.Kind.CHANGE, as_at)
    ]
    # Read as things stand, the later award and change are due too.
    now = selectors.notices_due(dt.date(2026, 4, 2))
    assert ("AWARDED-LATER", Notice.Kind.CONTRACT_DETAILS) in {
        (d.contract.reference, d.kind) for d in now
    }
    assert [d.deadline for d in now if d.kind == Notice.Kind.CHANGE] == [
        as_at,
        as_at + dt.timedelta(days=1),
    ]


def test_a_kpi_assessment_notice_is_due_12_months_after_its_period_began() -> None:
    contract = _contract("KPI", Regime.ACT, gross="6000000.00")
    began = dt.date(2026, 4, 1)
    assert selectors.notice_deadline(
        Notice.Kind.PERFORMANCE, contract, period_start=began
    ) == dt.date(2027, 4, 1)
    assert selectors.notice_deadline(Notice.Kind.PERFORMANCE, contract) is None
