"""Late rules of contracts/selectors.py a user would notice: the public register search
narrows (never lists everything), and the off-contract list names uncategorised spend
"Not categorised", lists a supplier's categories biggest first and adds up each category
over every supplier; the change history's reasons and its term test at the edges (exactly
10%, a one-day term, a value-only change, no end date).
Every expected figure is worked out here from the rows written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts import selectors
from contracts.models import (
    Contract,
    ContractChange,
    MainCategory,
    Publication,
    PublishedContract,
    RegisterUpload,
)
from portal.models import User
from spend import services as spend_services
from spend.models import Payment, Supplier
from tests.contracts.ledger import make_contract
from tests.payments.ledger import Row, import_rows

D = dt.date
pytestmark = pytest.mark.django_db
CARE = "77001"  # a rule below makes this "Test care"
NO_RULE = "88001"  # no rule matches: "Not categorised"


def test_register_search_lists_only_matching_contracts() -> None:
    """A member of the public searching the register must see only what matches."""
    publication = Publication.objects.create(
        quarter="2024Q1",
        period_start=D(2024, 1, 1),
        period_end=D(2024, 3, 31),
        status=Publication.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    for reference, title, department in [
        ("LCC/1", "Road gritting", "Highways"),
        ("LCC/2", "Care homes", "Adult social care"),
    ]:
        PublishedContract.objects.create(
            publication=publication,
            reference=reference,
            title=title,
            department=department,
            award_date=D(2024, 1, 15),
            start_date=D(2024, 2, 1),
            end_date=D(2028, 1, 31),
            awarded_value=Decimal("1000.00"),
            supplier_names="Acme Ltd",
            supplier_count=1,
            search_text=f"{reference} {title} {department} Acme Ltd".casefold(),
        )
    found = selectors.published_search(PublishedContract.objects.all(), "  HIGHWAYS ")
    assert [c.reference for c in found] == ["LCC/1"]


def test_off_contract_categories_named_ordered_and_summed(tmp_path: Path) -> None:
    """The off-contract page names uncategorised spend, sorts and sums categories."""
    spend_services.category_rule_set(account_prefix="77", category_name="Test care")
    # (supplier, account, pence): S1 has more uncategorised than care, S2 the reverse.
    paid = [
        ("S1", CARE, 10_000),
        ("S1", NO_RULE, 30_000),
        ("S2", CARE, 50_000),
        ("S2", NO_RULE, 7_000),
    ]
    rows = [
        Row(n, s, f"I{n}", D(2024, 6, 1), D(2024, 6, 10), p, account=a)
        for n, (s, a, p) in enumerate(paid, start=1)
    ]
    import_rows(tmp_path, rows)
    names = {CARE: "Test care", NO_RULE: "Not categorised"}
    per_supplier: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_category: dict[str, int] = defaultdict(int)
    for s, a, p in paid:
        per_supplier[s][names[a]] += p
        per_category[names[a]] += p

    def biggest_first(by: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(by.items(), key=lambda c: (-c[1], c[0]))

    found = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    assert {
        r.supplier.supplier_number: [(c.name, c.spend_pence) for c in r.categories]
        for r in found.suppliers
    } == {s: biggest_first(by) for s, by in per_supplier.items()}
    assert [(c.name, c.spend_pence) for c in found.by_category] == biggest_first(per_category)
    assert found.total_pence == sum(p for _, _, p in paid)


START = D(2024, 4, 1)


def _contract(value: str, end: dt.date | None) -> Contract:
    return Contract.objects.create(
        reference=f"LCC-{value}-{end}",
        title="Cleaning",
        department="Resources",
        award_date=START,
        start_date=START,
        end_date=end,
        awarded_value=Decimal(value),
        main_category=MainCategory.SERVICES,
    )


def _change(
    contract: Contract, before: str, after: str, end_before: D | None, end_after: D | None
) -> None:
    ContractChange.objects.create(
        contract=contract,
        ground="Schedule 8 paragraph 5",
        value_before=Decimal(before),
        value_after=Decimal(after),
        end_before=end_before,
        end_after=end_after,
    )


def _tested(contract: Contract) -> list[selectors.ChangeTested]:
    return selectors.change_history(contract, today=D(2025, 1, 15)).changes


def test_change_reasons_are_the_sentences_the_page_shows() -> None:
    """An officer reads why a change needs a notice: both reasons, in full."""
    end = START + dt.timedelta(days=700)
    contract = _contract("10.00", end)
    _change(contract, "10.00", "11.50", end, end + dt.timedelta(days=140))
    [tested] = _tested(contract)
    value, term = Decimal("1.50") * 100 / 10, Decimal(140) * 100 / 700
    assert tested.value_percent == value.quantize(Decimal("0.1"))
    assert tested.reason == (
        f"the value has changed by {value:.1f}% since award (over 10%); "
        f"the term has changed by {term:.1f}% since award (over 10%)"
    )


def test_a_term_moved_by_exactly_a_tenth_needs_no_notice() -> None:
    """Exactly 10% of the term is within the limit: no notice is asked for."""
    end = START + dt.timedelta(days=700)
    contract = _contract("100000.00", end)
    _change(contract, "100000.00", "100000.00", end, end + dt.timedelta(days=70))
    [tested] = _tested(contract)
    assert tested.term_percent == Decimal(70 * 100 / 700).quantize(Decimal("0.1"))
    assert not tested.needs_notice


@pytest.mark.parametrize("days", [1, 700])
def test_a_value_only_change_keeps_the_term_test(days: int) -> None:
    """A later change that records no end dates still leaves the term tested (0% moved)."""
    end = START + dt.timedelta(days=days)
    contract = _contract("100000.00", end)
    _change(contract, "100000.00", "101000.00", end, end)
    _change(contract, "101000.00", "102000.00", None, None)
    assert [(t.term_percent, t.needs_notice, t.reason) for t in _tested(contract)] == [
        (Decimal("0.0"), False, ""),
        (Decimal("0.0"), False, ""),
    ]


def test_no_end_date_says_the_term_cannot_be_tested() -> None:
    """With no end date at award the page says the term test cannot be done."""
    contract = _contract("100000.00", None)
    _change(contract, "100000.00", "101000.00", None, None)
    [tested] = _tested(contract)
    assert tested.term_percent is None
    assert tested.needs_notice
    assert tested.reason == "an end date is not recorded, so the 10% term test cannot be done"


@pytest.mark.parametrize("paid_pence", [10_000, 15_050])
def test_spend_past_value_is_said_only_once_it_passes(tmp_path: Path, paid_pence: int) -> None:
    """Spend equal to the value is fine; past it, the page says by how much, in pounds."""
    contract = make_contract("K-OVER", "S9", START, D(2026, 3, 31), value="100.00")
    import_rows(tmp_path, [Row(1, "S9", "I1", D(2024, 6, 1), D(2024, 6, 10), paid_pence)])
    history = selectors.change_history(contract, today=D(2025, 1, 15))
    expected = ""
    if paid_pence > 10_000:
        expected = (
            f"Spend under the contract (£{Decimal(paid_pence) / 100:,.2f}) has passed its "
            "value (£100.00): the value must change, which may need a change notice."
        )
    assert history.spend_over_value == expected


# --- One register version a page; the warm-up; what a ledger supplier without a number gets --


def _paid_june(tmp_path: Path) -> None:
    import_rows(tmp_path, [Row(1, "S1", "I1", D(2024, 6, 1), D(2024, 6, 10), 600_000)])


def test_a_page_reads_at_one_register_version_and_the_next_page_sees_an_edit(
    tmp_path: Path,
) -> None:
    _paid_june(tmp_path)
    with selectors.one_register_version():
        first = selectors.spend_without_contract(fy=2024, threshold_pence=1)
        # An officer registers the supplier's contract while the page is being drawn: the
        # page's figures all stay at the version it began with, so they agree.
        make_contract("LCC-PIN", "S1", D(2024, 4, 1), D(2027, 3, 31))
        again = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    assert first.total_pence == again.total_pence == 600_000
    with selectors.one_register_version():
        after = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    assert after.total_pence == 0  # the next page sees the contract cover the payment


def test_the_warm_up_leaves_the_off_contract_page_ready_to_read_without_a_query(
    tmp_path: Path,
) -> None:
    _paid_june(tmp_path)
    selectors.register_warm(2024)
    with selectors.one_register_version(), CaptureQueriesContext(connection) as read:
        warmed = selectors.spend_without_contract(fy=2024)
    assert not read.captured_queries
    assert warmed.total_pence == 600_000  # over the page's £5,000


def test_a_supplier_number_blank_on_both_sides_matches_nothing(tmp_path: Path) -> None:
    """A payee with no number and a contract whose supplier has none: the payment stays off
    contract, and the contract takes none of the payee's payments."""
    _paid_june(tmp_path)
    Supplier.objects.filter(supplier_number="S1").update(supplier_number="")
    contract = make_contract("LCC-NONUMBER", "", D(2024, 4, 1), D(2027, 3, 31))
    off = selectors.off_contract_payments(Payment.objects.all())
    assert list(off.values_list("invoice_number", flat=True)) == ["I1"]
    assert not selectors.contract_ledger_suppliers(contract).exists()
    assert selectors.contract_spend(contract, today=D(2025, 1, 15)).spend_pence == 0


def _upload(status: str, **fields: object) -> RegisterUpload:
    return RegisterUpload.objects.create(
        file_name="register.csv", stored_file="/nowhere/register.csv", status=status, **fields
    )


def test_the_register_upload_lists_keep_the_20_latest_waiting_or_failed() -> None:
    officer = User.objects.create_user("officer")
    for n in range(21):
        _upload(
            RegisterUpload.Status.FAILED if n % 2 else RegisterUpload.Status.WAITING,
            uploaded_by=officer,
            created_at=timezone.now() - dt.timedelta(minutes=n),
        )
    _upload(RegisterUpload.Status.IMPORTED)
    kept = list(selectors.register_uploads_kept())
    assert len(kept) == 20
    assert all(u.status != RegisterUpload.Status.IMPORTED for u in kept)
    assert kept == sorted(kept, key=lambda u: u.created_at, reverse=True)
    assert {u.uploaded_by for u in kept} == {officer}
    assert selectors.register_uploads_not_imported().count() == 10


def test_an_imports_drafts_are_the_contracts_it_flagged_that_are_still_flagged() -> None:
    flagged = make_contract("LCC-F1", "S1", D(2024, 4, 1), D(2027, 3, 31))
    completed = make_contract("LCC-F2", "S2", D(2024, 4, 1), D(2027, 3, 31))
    make_contract("LCC-OTHER", "S3", D(2024, 4, 1), D(2027, 3, 31))
    Contract.objects.filter(pk=flagged.pk).update(needs_attention="No value: check it")
    Contract.objects.filter(reference="LCC-OTHER").update(needs_attention="Flagged elsewhere")
    upload = _upload(
        RegisterUpload.Status.IMPORTED,
        result={"flagged": ["LCC-F1: No value: check it", f"{completed.reference}: no end date"]},
    )
    assert [c.reference for c in selectors.register_import_drafts(upload)] == ["LCC-F1"]
    assert not selectors.register_import_drafts(_upload(RegisterUpload.Status.IMPORTED)).exists()


def test_off_contract_suppliers_paid_the_same_are_listed_by_name(tmp_path: Path) -> None:
    rows = [
        Row(n, s, f"I{n}", D(2024, 6, 1), D(2024, 6, 10), 700_000)
        for n, s in [(1, "A1"), (2, "Z9")]
    ]
    import_rows(tmp_path, rows)
    # Named against the order of their numbers.
    Supplier.objects.filter(supplier_number="A1").update(name="Beta Cleaning Ltd")
    Supplier.objects.filter(supplier_number="Z9").update(name="Alpha Cleaning Ltd")
    found = selectors.spend_without_contract(fy=2024)
    assert [r.supplier.name for r in found.suppliers] == ["Alpha Cleaning Ltd", "Beta Cleaning Ltd"]
