"""The officers' register: each contract's live status on its boundary days, the order the
register lists contracts in, and what the search finds. The dates that decide a status (the
day before, the day itself, six calendar months on) are worked out here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from contracts import selectors
from contracts.models import AwardedSupplier, Contract
from contracts.selectors import LiveStatus
from portal.suppliers import name_key

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 1, 15)
SIX_MONTHS_ON = dt.date(2025, 7, 15)  # "ending within 6 months": up to this day inclusive


def _contract(
    reference: str,
    start: dt.date,
    end: dt.date | None,
    *,
    suppliers: tuple[tuple[str, str, str], ...] = (),
    title: str = "",
    department: str = "Adult Services",
    **fields: Any,
) -> Contract:
    contract = Contract.objects.create(
        reference=reference,
        title=title or f"Contract {reference}",
        department=department,
        award_date=start,
        start_date=start,
        end_date=end,
        awarded_value=Decimal("1000.00"),
        **fields,
    )
    for name, number, company in suppliers:
        AwardedSupplier.objects.create(
            contract=contract,
            name=name,
            name_key=name_key(name),
            supplier_number=number,
            company_number=company,
        )
    return contract


# reference, start, end, other fields, the status on TODAY
CASES: list[tuple[str, dt.date, dt.date | None, dict[str, Any], str]] = [
    ("EXP-1", dt.date(2023, 1, 1), TODAY - dt.timedelta(days=1), {}, LiveStatus.EXPIRED),
    ("END-TODAY", dt.date(2023, 1, 1), TODAY, {}, LiveStatus.ENDING),
    ("END-6M", dt.date(2023, 1, 1), SIX_MONTHS_ON, {}, LiveStatus.ENDING),
    ("LIVE-6M1", dt.date(2023, 1, 1), SIX_MONTHS_ON + dt.timedelta(days=1), {}, LiveStatus.LIVE),
    ("START-TODAY", TODAY, dt.date(2027, 1, 1), {}, LiveStatus.LIVE),
    ("START-TOMORROW", TODAY + dt.timedelta(days=1), dt.date(2027, 1, 1), {}, "Not yet started"),
    ("NO-END", dt.date(2023, 1, 1), None, {}, LiveStatus.LIVE),
    ("DRAFT", dt.date(2023, 1, 1), TODAY - dt.timedelta(days=1), {"status": "draft"}, "Draft"),
    (
        "EARLY",
        dt.date(2023, 1, 1),
        dt.date(2027, 1, 1),
        {"ended_on": dt.date(2024, 12, 1), "end_reason": "Terminated"},
        LiveStatus.ENDED_EARLY,
    ),
]


def _status(contract: Contract) -> str:
    return str(getattr(contract, "live_status"))  # noqa: B009  (an annotation)


def test_each_contract_has_the_status_its_dates_give_on_the_day() -> None:
    for reference, start, end, fields, _wanted in CASES:
        _contract(reference, start, end, **fields)
    expected = {reference: status for reference, _s, _e, _f, status in CASES}
    listed = selectors.contracts_list(TODAY)
    assert {c.reference: _status(c) for c in listed} == expected
    # The one-contract rule (the contract's own page) agrees with the register's SQL.
    for contract in Contract.objects.all():
        assert selectors.contract_live_status(contract, TODAY) == expected[contract.reference]
    # Statuses can be filtered on, as the register's status filter does.
    live = selectors.with_live_status(Contract.objects.all(), TODAY).filter(live_status="Live")
    assert {c.reference for c in live} == {r for r, status in expected.items() if status == "Live"}


def test_six_months_on_from_the_end_of_a_month_is_the_last_day_of_the_shorter_month() -> None:
    today = dt.date(2024, 8, 31)  # six months on: 28 February 2025 (no 31st, 30th or 29th)
    _contract("ON-28-FEB", dt.date(2023, 1, 1), dt.date(2025, 2, 28))
    _contract("ON-1-MAR", dt.date(2023, 1, 1), dt.date(2025, 3, 1))
    statuses = {c.reference: _status(c) for c in selectors.contracts_list(today)}
    assert statuses == {"ON-28-FEB": LiveStatus.ENDING, "ON-1-MAR": LiveStatus.LIVE}


def test_the_register_lists_the_soonest_end_first_and_no_end_date_last() -> None:
    _contract("B-2", dt.date(2023, 1, 1), dt.date(2026, 3, 31))
    _contract("A-NONE", dt.date(2023, 1, 1), None)
    _contract("C-1", dt.date(2023, 1, 1), dt.date(2025, 3, 31))
    _contract("A-2", dt.date(2023, 1, 1), dt.date(2026, 3, 31))  # same end: by reference
    _contract(
        "D-3",
        dt.date(2023, 1, 1),
        dt.date(2027, 3, 31),
        suppliers=(("One Ltd", "", ""), ("Two Ltd", "", "")),
    )
    listed = list(selectors.contracts_list())
    assert [c.reference for c in listed] == ["C-1", "A-2", "B-2", "D-3", "A-NONE"]
    counts = {c.reference: getattr(c, "supplier_count") for c in listed}  # noqa: B009  (annotated)
    assert counts == {
        "C-1": 0,
        "A-2": 0,
        "B-2": 0,
        "D-3": 2,
        "A-NONE": 0,
    }
    assert not hasattr(listed[0], "live_status")  # no day given: no status worked out


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", {"LCC-001", "LCC-002", "LCC-003"}),
        ("   ", {"LCC-001", "LCC-002", "LCC-003"}),
        ("lcc-002", {"LCC-002"}),  # the reference, any case
        ("  LCC-002  ", {"LCC-002"}),  # spaces around are ignored
        ("gritting", {"LCC-001"}),  # the title
        ("highways", {"LCC-001"}),  # the department
        ("acme", {"LCC-002"}),  # a supplier's name, in part
        ("V123", {"LCC-003"}),  # a supplier number, whole
        ("V12", set()),  # … not part of one
        ("01234567", {"LCC-002"}),  # a company number, whole
        ("0123456", set()),
        ("nothing like it", set()),
    ],
)
def test_the_register_search_finds_contracts_by_what_officers_type(
    text: str, found: set[str]
) -> None:
    _contract("LCC-001", dt.date(2023, 1, 1), None, title="Winter Gritting", department="Highways")
    _contract(
        "LCC-002",
        dt.date(2023, 1, 1),
        None,
        suppliers=(("Acme Waste Ltd", "V999", "01234567"),),
    )
    _contract("LCC-003", dt.date(2023, 1, 1), None, suppliers=(("Bolton Care CIC", "V123", ""),))
    results = selectors.contract_search(Contract.objects.all(), text)
    assert {c.reference for c in results} == found


@pytest.mark.parametrize(
    ("today", "six_months_on"),
    [
        (dt.date(2024, 10, 31), dt.date(2025, 4, 30)),  # April has 30 days: the 30th
        (dt.date(2023, 8, 31), dt.date(2024, 2, 29)),  # a leap February: the 29th
    ],
)
def test_six_months_on_from_a_31st_is_the_last_day_of_a_30_or_29_day_month(
    today: dt.date, six_months_on: dt.date
) -> None:
    """A contract ending on the last day of the month six months on is "ending within 6
    months"; one ending the day after is not. Officers plan re-procurement from this list."""
    _contract("ON-LAST-DAY", dt.date(2023, 1, 1), six_months_on)
    _contract("DAY-AFTER", dt.date(2023, 1, 1), six_months_on + dt.timedelta(days=1))
    statuses = {c.reference: _status(c) for c in selectors.contracts_list(today)}
    assert statuses == {"ON-LAST-DAY": LiveStatus.ENDING, "DAY-AFTER": LiveStatus.LIVE}
    for contract in Contract.objects.all():
        assert selectors.contract_live_status(contract, today) == statuses[contract.reference]


def test_the_published_register_has_each_contracts_status_from_its_dates() -> None:
    """The public register shows a status worked out from the published dates alone (it has
    no drafts, and an early end is published as the end date)."""
    from contracts import services
    from portal.periods import Quarter

    for reference, start, end, fields, _wanted in CASES:
        if "status" not in fields and reference != "EARLY":  # drafts are never published
            _contract(reference, start, end, **fields)
    # Ended early in the quarter published, five days before TODAY (its end date: 2027).
    _contract(
        "EARLY",
        dt.date(2023, 1, 1),
        dt.date(2027, 1, 1),
        ended_on=TODAY - dt.timedelta(days=5),
        end_reason="Terminated",
    )
    publication = services.publication_build(quarter=Quarter.containing(TODAY), user=None)
    published = selectors.with_live_status(publication.contracts.all(), TODAY)
    wanted = {r: s for r, _s, _e, f, s in CASES if "status" not in f and r != "EARLY"}
    wanted["EARLY"] = LiveStatus.EXPIRED  # published with its early end as its end date
    assert {c.reference: _status(c) for c in published} == wanted
