"""The order of the prompt-payment dashboard's lists where figures meet: suppliers and cost
centres of equal average days, an average that rounds to 0.0 days, suppliers owed equal
interest, more suppliers paid late than the list shows, and a late invoice whose reference
day precedes every base rate on record; and a period across two financial years, refused.
Expected lists are worked out here from the rows."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from payments import selectors, services
from payments.models import BaseRate
from spend.models import Supplier
from tests.payments.ledger import Row, import_rows
from tests.payments.scenario import rule_set

D = dt.date
FY_START, FY_END = D(2025, 4, 1), D(2026, 3, 31)
RECEIVED = D(2025, 6, 2)


def _row(n: int, supplier: str, days: int, *, centre: str = "CC001", pence: int = 1000) -> Row:
    paid = RECEIVED + dt.timedelta(days=days)
    return Row(n, supplier, f"I-{n}", RECEIVED, paid, pence, RECEIVED, cost_centre=centre)


def test_equal_averages_are_listed_by_name_and_a_0_0_average_is_quickest(
    db: None, tmp_path: Path
) -> None:
    rule_set()
    # Suppliers 300, 100 and 200 (imported in that order) average 4 days each; 400 averages
    # 0.5 (0 and 1 days); 500 pays the same day, 0.0. The cost centres mirror them.
    rows = [
        _row(1, "300", 4, centre="CC-C"),
        _row(2, "100", 4, centre="CC-A"),
        _row(3, "200", 4, centre="CC-B"),
        _row(4, "400", 0, centre="CC-D"),
        _row(5, "400", 1, centre="CC-D"),
        _row(6, "500", 0, centre="CC-E"),
    ]
    import_rows(tmp_path, rows)
    result = selectors.prompt_payment(FY_START, FY_END)
    expected = ["100", "200", "300", "400", "500"]
    assert [r.label for r in result.slowest_suppliers] == [f"Supplier {s}" for s in expected]
    assert [r.average_days for r in result.slowest_suppliers] == [
        Decimal("4.0"),
        Decimal("4.0"),
        Decimal("4.0"),
        Decimal("0.5"),
        Decimal("0.0"),
    ]
    centres = [r.label for r in result.slowest_departments]
    assert centres == ["CC-A", "CC-B", "CC-C", "CC-D", "CC-E"]


def test_late_interest_lists_the_ten_owed_most_by_name_on_ties_and_no_rate_owes_nothing(
    db: None, tmp_path: Path
) -> None:
    rule_set()
    BaseRate.objects.all().delete()  # only the rate below is on record (not the seeded history)
    rate = Decimal("4.25")
    services.base_rate_set(effective_from=D(2024, 8, 1), rate=rate)
    # Twelve suppliers paid late: supplier 2kk owes on £kk,000 paid kk days late, except that
    # 211 and 212 are the same as 210 (three owed the same). Supplier 299's invoice was due
    # in June 2024: its reference day, 31 December 2023, precedes every rate on record.
    due = D(2025, 5, 1)
    rows: list[Row] = []
    for k in range(1, 13):
        size = min(k, 10)
        paid = due + dt.timedelta(days=size)
        rows.append(Row(k, f"2{k:02d}", f"L-{k}", D(2025, 4, 1), paid, size * 100_000, due=due))
    rows.append(Row(13, "299", "L-13", D(2024, 5, 1), D(2025, 4, 10), 500_000, due=D(2024, 6, 10)))
    import_rows(tmp_path, rows)

    owed = {}
    for row in rows[:-1]:
        assert row.due is not None
        days_late = (row.paid - row.due).days
        interest = Decimal(row.pence) * (rate + 8) / 100 * days_late / 365
        owed[f"Supplier {row.supplier}"] = int(interest.quantize(Decimal(1), ROUND_HALF_UP))
    ranked = sorted(owed, key=lambda name: (-owed[name], name))
    result = selectors.late_interest(FY_START, FY_END)
    assert result.by_supplier == [(name, 1, owed[name]) for name in ranked[:10]]
    # 210, 211 and 212 owe the same: the ten end with two of them, by name.
    assert [name for name, _, _ in result.by_supplier[:3]] == [
        "Supplier 210",
        "Supplier 211",
        "Supplier 212",
    ]
    assert result.late_invoices == len(rows)
    assert result.no_rate == 1
    total = sum(
        (Decimal(r.pence) * (rate + 8) / 100 * (r.paid - due).days / 365 for r in rows[:-1]),
        Decimal(0),
    )
    assert result.interest_pence == int(total.quantize(Decimal(1), ROUND_HALF_UP))


def test_a_supplier_owed_only_where_no_rate_is_on_record_is_listed_owing_nothing(
    db: None, tmp_path: Path
) -> None:
    rule_set()
    BaseRate.objects.all().delete()
    services.base_rate_set(effective_from=D(2024, 8, 1), rate=Decimal("4.25"))
    import_rows(
        tmp_path,
        [Row(1, "299", "L-1", D(2024, 5, 1), D(2025, 4, 10), 500_000, due=D(2024, 6, 10))],
    )
    result = selectors.late_interest(FY_START, FY_END)
    assert result.by_supplier == [("Supplier 299", 1, 0)]
    assert (result.interest_pence, result.no_rate, result.late_invoices) == (0, 1, 1)


def test_a_period_across_two_financial_years_is_refused_not_summed_across(db: None) -> None:
    # Figures are worked out within one financial year (the ledger's index is by year): a
    # period over 31 March is refused in words, never read as the first year alone.
    refusal = r"^The figures are worked out within one financial year at a time\.$"
    with pytest.raises(ValueError, match=refusal):
        selectors.prompt_payment(D(2026, 3, 1), D(2026, 4, 30))
    selectors.prompt_payment(D(2026, 3, 1), D(2026, 3, 31))  # up to 31 March is one year


def test_the_25_suppliers_kept_among_equal_averages_are_the_first_in_the_ledger(
    db: None, tmp_path: Path
) -> None:
    # 26 suppliers average 4 days each: the dashboard keeps 25, the same 25 on every reading
    # (the ledger's first).
    rule_set()
    import_rows(tmp_path, [_row(n, f"{300 + n}", 4) for n in range(1, 27)])
    suppliers = list(Supplier.objects.order_by("pk"))
    result = selectors.prompt_payment(FY_START, FY_END)
    assert result.supplier_count == 26
    assert {r.label for r in result.by["supplier"]} == {s.name for s in suppliers[:25]}
