"""The Act notices the register says are due: a contract details notice 30 days after award
(120 for light touch), and a breach or failure to perform 30 days after the decision, naming
the obligation. Deadlines are worked out here from the dates the test records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from contracts import selectors
from contracts.models import Contract, ContractChange, Kpi, Notice, PerformanceFailure, Regime

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


def _due(today: dt.date) -> list[tuple[str, str, dt.date, bool]]:
    return [
        (d.contract.reference, d.kind, d.deadline, d.overdue) for d in selectors.notices_due(today)
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


def _kpi_contract(reference: str, gross: str) -> Contract:
    contract = _contract(reference, Regime.ACT, gross=gross)
    Kpi.objects.create(contract=contract, title="Bins emptied", target="99% weekly")
    return contract


def _kpi_due(today: dt.date) -> list[tuple[str, dt.date, str]]:
    return [
        (d.contract.reference, d.deadline, d.note)
        for d in selectors.notices_due(today)
        if d.kind == Notice.Kind.PERFORMANCE
    ]


KPI_NOTE = "KPI assessment due at least every 12 months (s.71)."


def test_a_kpi_assessment_is_listed_from_90_days_before_it_is_due() -> None:
    _kpi_contract("OVER-5M", "6000000.00")
    deadline = dt.date(2027, 2, 2)  # 12 months after the contract started
    assert _kpi_due(deadline - dt.timedelta(days=91)) == []
    assert _kpi_due(deadline - dt.timedelta(days=90)) == [("OVER-5M", deadline, KPI_NOTE)]


def test_kpis_are_for_contracts_over_5m_not_at_it_nor_where_kpis_were_kept_by_choice() -> None:
    _kpi_contract("AT-5M", "5000000.00")
    _kpi_contract("UNDER-5M", "1000000.00")  # KPIs kept, though the Act does not ask
    needs = _contract("JUST-OVER", Regime.ACT, gross="5000000.01")
    assert _kpi_due(dt.date(2027, 1, 31)) == []
    notes = {d.contract.reference: d.note for d in selectors.notices_due(AWARD)}
    assert notes["AT-5M"] == ""
    assert notes["UNDER-5M"] == ""
    assert notes["JUST-OVER"] == (
        "Over £5m: the notice needs at least three KPIs (s.52), or why none apply; 0 recorded."
    )
    assert needs.kpis.count() == 0


def test_only_a_published_performance_notice_covers_its_period() -> None:
    contract = _kpi_contract("OVER-5M", "6000000.00")
    covered_to = dt.date(2026, 12, 31)
    draft = Notice.objects.create(
        contract=contract,
        kind=Notice.Kind.PERFORMANCE,
        period_start=AWARD,
        period_end=covered_to,
    )
    today = dt.date(2027, 1, 31)
    # A draft covers nothing: the assessment is due 12 months after the start, and the draft
    # is offered to finish.
    [due] = [d for d in selectors.notices_due(today) if d.kind == Notice.Kind.PERFORMANCE]
    assert (due.deadline, due.draft) == (dt.date(2027, 2, 2), draft)
    Notice.objects.filter(pk=draft.pk).update(
        status=Notice.Status.PUBLISHED, published_at=timezone.now()
    )
    # Published, the next is due 12 months after the day after the period it covered.
    assert _kpi_due(dt.date(2027, 12, 1)) == [("OVER-5M", dt.date(2028, 1, 1), KPI_NOTE)]


def test_a_failure_decided_on_the_last_day_a_notice_covered_is_covered() -> None:
    contract = _contract("ACT-F", Regime.ACT, gross="20000.00")
    covered_to = dt.date(2026, 6, 30)
    Notice.objects.create(
        contract=contract,
        kind=Notice.Kind.PERFORMANCE,
        status=Notice.Status.PUBLISHED,
        published_at=timezone.make_aware(dt.datetime(2026, 6, 30, 12)),
        period_start=AWARD,
        period_end=covered_to,
    )
    for decided in (covered_to, covered_to + dt.timedelta(days=1)):
        PerformanceFailure.objects.create(
            contract=contract, requirement="Bins", description="Missed", decision_date=decided
        )
    later = covered_to + dt.timedelta(days=1)
    assert [d.deadline for d in selectors.notices_due(dt.date(2026, 7, 10))] == [
        later + dt.timedelta(days=30)
    ]
    # As at the day of the later decision, it is in the report; as at the day before, not.
    assert len(selectors.notices_due(later, as_it_stood=True)) == 1
    assert selectors.notices_due(covered_to, as_it_stood=True) == []
