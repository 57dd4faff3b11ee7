"""Late rules of contracts/selectors.py a user would notice: the public register search
narrows (never lists everything), and the off-contract list names uncategorised spend
"Not categorised", lists a supplier's categories biggest first and adds up each category
over every supplier. Every expected figure is worked out here from the rows written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from contracts import selectors
from contracts.models import Publication, PublishedContract
from spend import services as spend_services
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
