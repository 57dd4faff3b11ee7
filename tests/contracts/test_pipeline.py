"""The pipeline notice (PA 2023 s.93, PR 2024 reg 15) for 2025/26: the planned procurements of
£2m or more (including VAT) with a tender notice in the 18 months from 1 April, the contracts
of £2m or more ending in that window with no planned successor, and those whose value
including VAT is not recorded but whose value plus 20% VAT reaches £2m. The window's edges
and the £2m boundary are worked out here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from contracts import selectors
from contracts.models import Contract, PlannedProcurement
from tests.contracts.ledger import make_contract
from tests.payments.ledger import Row, import_rows

pytestmark = pytest.mark.django_db

FY = 2025
START = dt.date(2025, 4, 1)
WINDOW_END = dt.date(2026, 10, 1)  # 18 months from 1 April 2025: up to 30 September 2026
TODAY = dt.date(2025, 3, 1)


def _contract(reference: str, end: dt.date, value: str, gross: str | None) -> Contract:
    return Contract.objects.create(
        reference=reference,
        title=f"Contract {reference}",
        department="Resources",
        award_date=dt.date(2022, 4, 1),
        start_date=dt.date(2022, 4, 1),
        end_date=end,
        awarded_value=Decimal(value),
        awarded_value_gross=None if gross is None else Decimal(gross),
    )


def _plan(title: str, on: dt.date, gross: str, replaces: Contract | None = None) -> None:
    PlannedProcurement.objects.create(
        title=title, tender_notice_on=on, estimated_value_gross=Decimal(gross), replaces=replaces
    )


def test_the_pipeline_lists_what_falls_in_its_window_at_2m_or_more() -> None:
    last_day = WINDOW_END - dt.timedelta(days=1)
    _contract("FIRST-DAY", START, "1700000.00", "2000000.00")
    _contract("LAST-DAY", last_day, "1700000.00", "2040000.00")
    _contract("AFTER", WINDOW_END, "1700000.00", "2040000.00")
    _contract("BEFORE", START - dt.timedelta(days=1), "1700000.00", "2040000.00")
    _contract("UNDER-2M", last_day, "1666666.66", "1999999.99")
    replaced = _contract("REPLACED", last_day, "5000000.00", "6000000.00")
    # Value including VAT not recorded: value x 1.2 decides whether it may be £2m or more.
    _contract("UNSURE", last_day, "1666666.67", None)  # x 1.2 = 2,000,000.004
    _contract("UNDER-UNSURE", last_day, "1666666.66", None)  # x 1.2 = 1,999,999.992
    _plan("On 1 April", START, "2000000.00", replaces=replaced)
    _plan("On the last day", last_day, "3000000.00")
    _plan("After the window", WINDOW_END, "3000000.00")
    _plan("Before the window", START - dt.timedelta(days=1), "3000000.00")
    _plan("Under £2m", START, "1999999.99")

    pipeline = selectors.pipeline(FY, today=TODAY)

    assert [p.title for p in pipeline.planned] == ["On 1 April", "On the last day"]
    assert [c.reference for c in pipeline.unplanned] == ["FIRST-DAY", "LAST-DAY"]
    assert [c.reference for c in pipeline.unsure] == ["UNSURE"]
    assert pipeline.window_end == WINDOW_END
    assert pipeline.deadline == dt.date(2025, 5, 26)
    assert pipeline.basis_fy == FY - 1
    # No ledger: nothing was paid under the contracts, so no notice is required.
    assert pipeline.basis_spend_pence == 0
    assert not pipeline.required


def test_a_contract_ended_early_in_the_window_is_listed_by_the_day_it_ended() -> None:
    ended = _contract("ENDED", dt.date(2030, 3, 31), "1700000.00", "2040000.00")
    ended.ended_on = dt.date(2025, 9, 30)
    ended.end_reason = "Terminated"
    ended.save()
    _contract("RUNS-ON", dt.date(2030, 3, 31), "1700000.00", "2040000.00")
    pipeline = selectors.pipeline(FY, today=TODAY)
    assert [c.reference for c in pipeline.unplanned] == ["ENDED"]


def test_live_contracts_in_a_period_run_at_some_point_in_it() -> None:
    start, end = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
    _contract("ENDS-ON-START", start, "1.00", None)
    _contract("ENDED-BEFORE", start - dt.timedelta(days=1), "1.00", None)
    starts_on_end = _contract("STARTS-ON-END", dt.date(2027, 1, 1), "1.00", None)
    starts_on_end.start_date = end
    starts_on_end.save()
    starts_after = _contract("STARTS-AFTER", dt.date(2027, 1, 1), "1.00", None)
    starts_after.start_date = end + dt.timedelta(days=1)
    starts_after.save()
    open_ended = Contract.objects.create(
        reference="NO-END",
        title="No end date",
        department="Resources",
        award_date=dt.date(2022, 4, 1),
        start_date=dt.date(2022, 4, 1),
        awarded_value=Decimal("1.00"),
    )
    early = _contract("ENDED-EARLY-IN", dt.date(2030, 1, 1), "1.00", None)
    early.ended_on = start
    early.save()
    early_before = _contract("ENDED-EARLY-BEFORE", dt.date(2030, 1, 1), "1.00", None)
    early_before.ended_on = start - dt.timedelta(days=1)
    early_before.save()
    draft = _contract("DRAFT", dt.date(2030, 1, 1), "1.00", None)
    draft.status = Contract.Status.DRAFT
    draft.save()
    live = [c.reference for c in selectors.live_contracts_in(start, end)]
    assert live == sorted(["ENDS-ON-START", "STARTS-ON-END", open_ended.reference, early.reference])


def test_a_pipeline_is_required_once_the_last_full_years_contract_spend_is_over_100m(
    tmp_path: Path,
) -> None:
    """2025/26's notice rests on 2024/25's payments under registered contracts: from 1 April
    2024 to 31 March 2025, a contract that ended on 1 April 2024 included. More than £100m,
    not £100m exactly."""
    make_contract("RUNNING", "S1", dt.date(2022, 4, 1), dt.date(2030, 3, 31))
    make_contract("ENDED-1-APRIL", "S2", dt.date(2022, 4, 1), dt.date(2024, 4, 1))
    basis_start, basis_end = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
    paid = [
        ("S1", basis_start, 40_000_000_00),
        ("S1", basis_end, 50_000_000_00),
        ("S2", basis_start, 10_000_000_00),
        ("S1", basis_start - dt.timedelta(days=1), 7_00),  # the year before
        ("S1", basis_end + dt.timedelta(days=1), 9_00),  # the year itself
    ]
    rows = [Row(n, s, f"I{n}", day, day, p) for n, (s, day, p) in enumerate(paid, start=1)]
    import_rows(tmp_path, rows)
    in_basis = sum(p for _, day, p in paid if basis_start <= day <= basis_end)
    assert in_basis == 100_000_000_00
    drawn_up = dt.date(2025, 4, 15)  # after the year, before the notice's 26 May
    exactly = selectors.pipeline(FY, today=drawn_up)
    assert (exactly.basis_fy, exactly.basis_spend_pence) == (FY - 1, in_basis)
    assert not exactly.required  # £100m exactly is not more than £100m
    import_rows(tmp_path, [Row(9, "S1", "I9", basis_end, basis_end, 1)], name="penny.csv")
    over = selectors.pipeline(FY, today=drawn_up)
    assert over.basis_spend_pence == in_basis + 1
    assert over.required
