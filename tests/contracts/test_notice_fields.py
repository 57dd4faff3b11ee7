"""What a notice's page says (``notice_fields``, read from its OCDS release) and the record of
published notices councillors read: each figure worked out here from what the test records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts import selectors
from contracts.models import (
    Contract,
    ContractChange,
    Kpi,
    KpiAssessment,
    Notice,
    Publication,
    Regime,
)
from tests.contracts.ledger import make_contract
from tests.payments.ledger import Row, import_rows

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2025, 6, 30)


def _act(contract: Contract) -> Contract:
    Contract.objects.filter(pk=contract.pk).update(
        regime=Regime.ACT, awarded_value_gross=contract.awarded_value * Decimal("1.2")
    )
    contract.refresh_from_db()
    return contract


def test_a_draft_termination_notice_gives_the_ledgers_spend_as_the_final_value(
    tmp_path: Path,
) -> None:
    paid = [(1, D(2024, 5, 10), 123_456), (2, D(2024, 9, 3), 10_001), (3, D(2025, 1, 20), 99)]
    import_rows(tmp_path, [Row(n, "S1", f"I{n}", day, day, p) for n, day, p in paid])
    contract = _act(make_contract("LCC-END", "S1", D(2024, 4, 1), D(2025, 3, 31)))
    termination = Notice.objects.create(
        contract=contract, kind=Notice.Kind.TERMINATION, terminated_on=D(2025, 3, 31)
    )
    fields = selectors.notice_fields(termination, today=TODAY)
    spent = Decimal(sum(p for _, _, p in paid)) / 100
    assert fields.implementation is not None
    assert Decimal(str(fields.implementation["finalValue"]["amount"])) == spent
    assert fields.buyer["name"] == settings.COUNCIL_NAME
    assert [s["name"] for s in fields.suppliers] == ["Supplier S1"]
    # Other notices carry no final value.
    details = Notice.objects.create(contract=contract, kind=Notice.Kind.CONTRACT_DETAILS)
    assert "finalValue" not in (selectors.notice_fields(details, today=TODAY).implementation or {})


def test_a_change_notice_shows_the_change_as_its_amendment() -> None:
    contract = _act(make_contract("LCC-CHG", "S1", D(2024, 4, 1), D(2027, 3, 31)))
    change = ContractChange.objects.create(
        contract=contract,
        changed_on=D(2025, 5, 1),
        ground="Schedule 8 paragraph 5",
        value_before=Decimal("100000.00"),
        value_after=Decimal("150000.00"),
    )
    notice = Notice.objects.create(
        contract=contract, kind=Notice.Kind.CHANGE, change=change, description="More sites"
    )
    fields = selectors.notice_fields(notice, today=TODAY)
    assert fields.amendment is not None
    assert fields.amendment["description"] == "More sites"
    assert Decimal(str(fields.amendment["value"]["amount"])) == Decimal("150000")
    plain = Notice.objects.create(contract=contract, kind=Notice.Kind.CONTRACT_DETAILS)
    assert selectors.notice_fields(plain, today=TODAY).amendment is None


def test_published_notices_are_the_200_latest_and_one_without_a_deadline_is_not_judged() -> None:
    contract = _act(make_contract("LCC-KPI", "S1", D(2024, 4, 1), D(2029, 3, 31)))
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(
            contract=contract,
            kind=Notice.Kind.PERFORMANCE,
            status=Notice.Status.PUBLISHED,
            published_at=now - dt.timedelta(hours=n),
            period_start=D(2024, 4, 1) if n else None,
        )
        for n in range(201)
    )
    rows = selectors.notices_published()
    assert len(rows) == 200
    # Newest first: the 200 latest, the oldest of the 201 left out.
    assert [r.notice.published_at for r in rows] == [
        now - dt.timedelta(hours=n) for n in range(200)
    ]
    latest = rows[0]
    assert latest.notice.period_start is None
    assert latest.deadline is None
    assert latest.on_time is None
    # A KPI assessment notice is due 12 months from the start of the period it follows.
    assert rows[1].deadline == D(2025, 4, 1)
    assert rows[1].on_time is False  # published now, long after


def test_a_contracts_kpis_show_their_latest_assessment_and_the_unverified() -> None:
    contract = make_contract("LCC-PERF", "S1", D(2024, 4, 1), D(2029, 3, 31))
    kpi = Kpi.objects.create(contract=contract, title="Bins emptied", target="99% weekly")
    # Recorded out of order: the latest period is neither the first nor the last recorded.
    periods = [
        (D(2025, 4, 1), D(2025, 6, 30)),
        (D(2025, 10, 1), D(2025, 12, 31)),
        (D(2025, 7, 1), D(2025, 9, 30)),
    ]
    for start, end in periods:
        KpiAssessment.objects.create(
            kpi=kpi, period_start=start, period_end=end, rating=KpiAssessment.Rating.GOOD
        )
    # Read as any caller may hold it (not through contract_for_page).
    plain = Contract.objects.get(pk=contract.pk)
    shown = selectors.contract_performance(plain)
    [latest] = shown.kpis
    assert latest.kpi == kpi
    assert latest.latest.period_end == D(2025, 12, 31)
    assert len(shown.unverified) == 3


def test_a_contract_page_without_notices_kpis_failures_or_changes_asks_nothing_for_them() -> None:
    contract = make_contract("LCC-QUIET", "S1", D(2024, 4, 1), D(2027, 3, 31))
    shown = selectors.contract_for_page(contract.pk)
    assert shown is not None
    spend = selectors.contract_spend(shown, today=TODAY)  # the page reads it first
    with CaptureQueriesContext(connection) as read:
        notices = list(selectors.contract_notices(shown))
        performance = selectors.contract_performance(shown)
        history = selectors.change_history(shown, today=TODAY, spend=spend)
    assert notices == []
    assert (performance.kpis, performance.unverified, performance.failures) == ([], [], [])
    assert history.changes == []
    assert not read.captured_queries


def _published(contract: Contract, day: dt.date, *, period_start: dt.date | None) -> None:
    Notice.objects.create(
        contract=contract,
        kind=Notice.Kind.PERFORMANCE,
        status=Notice.Status.PUBLISHED,
        published_at=timezone.make_aware(dt.datetime(day.year, day.month, day.day, 12)),
        period_start=period_start,
    )


def test_the_reports_notice_figures_count_the_financial_years_notices_and_what_stood_due() -> None:
    contract = _act(make_contract("LCC-REP", "S1", D(2024, 4, 1), D(2029, 3, 31)))
    on_time = D(2025, 3, 1)  # a KPI period begun then is due by 1 March 2026
    # (published on, on time?): the year 2025/26 runs from 1 April 2025 to 31 March 2026.
    _published(contract, D(2025, 3, 31), period_start=on_time)  # the year before
    _published(contract, D(2025, 4, 1), period_start=on_time)  # first day: on time
    _published(contract, D(2026, 2, 28), period_start=on_time)  # on time
    _published(contract, D(2026, 3, 31), period_start=on_time)  # last day: late
    _published(contract, D(2026, 4, 1), period_start=on_time)  # the year after
    # A contract awarded after the report's day is not due in it.
    later = _act(make_contract("LCC-LATER", "S2", D(2026, 6, 1), D(2029, 3, 31)))
    as_at = D(2026, 5, 1)
    figures = selectors.notice_compliance(2025, as_at)
    assert (figures.published, figures.on_time, figures.late) == (3, 2, 1)
    assert later.award_date > as_at
    assert figures.due == 1  # the first contract's details notice, never published
    assert figures.overdue == 1
    # Read before the year ended, only what was published by then.
    assert selectors.notice_compliance(2025, D(2026, 3, 1)).published == 2


def test_the_reports_register_statement_counts_what_was_live_awarded_and_published_that_day() -> (
    None
):
    as_at = D(2025, 9, 30)
    registered = [
        # (reference, award/start, end date, ended on, value, route)
        ("NO-END", D(2023, 4, 1), None, None, "1000.00", "Open"),
        ("ENDS-THAT-DAY", D(2023, 4, 1), as_at, None, "2000.00", "Open"),
        ("ENDED-BEFORE", D(2023, 4, 1), D(2025, 9, 29), None, "4000.00", "Open"),
        ("ENDED-EARLY", D(2023, 4, 1), D(2027, 3, 31), D(2025, 9, 29), "8000.00", "Open"),
        ("ENDED-EARLY-LATER", D(2023, 4, 1), D(2027, 3, 31), as_at, "16000.00", "Open"),
        ("FIRST-DAY", D(2025, 4, 1), D(2027, 3, 31), None, "32000.00", "Waiver"),
        ("DAY-BEFORE", D(2025, 3, 31), D(2027, 3, 31), None, "64000.00", "Waiver"),
        ("STARTS-AFTER", D(2025, 10, 1), D(2027, 3, 31), None, "128000.00", "Waiver"),
    ]
    for reference, start, end, ended, value, route in registered:
        Contract.objects.create(
            reference=reference,
            title=reference,
            department="Resources",
            award_date=start,
            start_date=start,
            end_date=end,
            ended_on=ended,
            awarded_value=Decimal(value),
            procurement_route=route,
        )
    live = {"NO-END", "ENDS-THAT-DAY", "ENDED-EARLY-LATER", "FIRST-DAY", "DAY-BEFORE"}
    for quarter, end, published in [
        ("2025Q1", D(2025, 6, 30), D(2025, 7, 10)),
        ("2025Q2", D(2025, 9, 30), D(2025, 10, 5)),  # published after the day
    ]:
        Publication.objects.create(
            quarter=quarter,
            period_start=end.replace(day=1) - dt.timedelta(days=60),
            period_end=end,
            status=Publication.Status.PUBLISHED,
            published_at=timezone.make_aware(dt.datetime(published.year, published.month, 10)),
        )
    statement = selectors.register_statement(2025, as_at)
    assert statement.live == len(live)
    assert statement.live_value == sum(Decimal(v) for r, *_, v, _ in registered if r in live)
    assert statement.awarded_in_year == 1  # FIRST-DAY: 1 April; STARTS-AFTER is after the day
    assert statement.waivers_in_year == 1
    assert statement.last_published is not None
    assert statement.last_published.quarter == "2025Q1"
    # Before anything was live: nothing, counted as nothing.
    empty = selectors.register_statement(2021, D(2021, 4, 1))
    assert (empty.live, empty.live_value, empty.last_published) == (0, Decimal("0.00"), None)
