"""Issue 13: withdraw, replace and undo leave the ledger, the summaries and the dashboards equal
to an import of only the files that remain; a doubled file is held before it counts."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from spend import selectors, services
from spend.ingest.load import rebuild_summaries
from spend.models import (
    ImportBatch,
    Payment,
    SpendSummary,
    Supplier,
    SupplierSite,
    Withdrawal,
)

APRIL = [
    ("T100", "ANYTOWN CARE LTD", "03/04/2024", "1,200.00"),
    ("T101", "ROADS PLC", "05/04/2024", "640.55"),
    ("T102", "ANYTOWN CARE LTD", "09/04/2024", "75.10"),
]
MAY = [
    ("T200", "ANYTOWN CARE LTD", "02/05/2024", "980.00"),
    ("T201", "BLUE SKY NURSERY", "07/05/2024", "2,010.40"),
    ("T202", "ROADS PLC", "21/05/2024", "333.33"),
]
HEADER = ("Transaction Number", "Supplier Name", "Payment Date", "Amount")


def write(path: Path, rows: Sequence[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def pence(text: str) -> int:
    return int(Decimal(text.replace(",", "")) * 100)


def state() -> dict[str, Any]:
    """The ledger, the summary and the dashboards' figures, by what they say (not by ids)."""
    years = sorted(set(Payment.objects.values_list("financial_year", flat=True)))
    with selectors.one_summary_version():
        dashboards = {
            fy: (
                selectors.spend_total(fy),
                selectors.payment_count(fy),
                selectors.suppliers_paid(fy),
                [(s.name, s.total_pence) for s in selectors.top_suppliers(fy, 20)],
                [(m.month, m.total_pence) for m in selectors.spend_by_month(fy)],
                sorted((r["name"], r["total"]) for r in selectors.supplier_spend(fy=fy)),
                [(c.name, c.total_pence, c.payments) for c in selectors.spend_by_category(fy)],
                [(x.locality_class, x.total_pence) for x in selectors.spend_by_locality(fy)],
                selectors.tail_spend(fy),
                selectors.redacted_spend(fy),
            )
            for fy in years
        }
    return {
        "payments": sorted(
            Payment.objects.values_list(
                "natural_key", "amount_pence", "is_spend", "supplier__supplier_number"
            )
        ),
        "summary": summary(),
        "dashboards": dashboards,
    }


def summary() -> list[tuple[Any, ...]]:
    return sorted(
        SpendSummary.objects.values_list(
            "financial_year",
            "month",
            "supplier__supplier_number",
            "locality_class",
            "category_id",
            "total_pence",
            "payment_count",
        )
    )


def fresh_import(paths: list[Path]) -> dict[str, Any]:
    """What the ledger would be had only these files ever been imported."""
    Withdrawal.objects.all().delete()
    Payment.objects.all().delete()
    SpendSummary.objects.all().delete()
    ImportBatch.objects.all().delete()
    SupplierSite.objects.all().delete()
    Supplier.objects.all().delete()
    for path in paths:
        [batch] = services.import_paths(paths=[path])
        if batch.status == ImportBatch.Status.HELD:
            services.batch_decide(batch=batch, decision="import", user=None)
            batch = services.batch_run_here(batch=batch, user=None)
        assert batch.status == ImportBatch.Status.LOADED, batch.error
    return state()


def assert_summary_is_a_rebuild() -> None:
    before = summary()
    rebuild_summaries(set(Payment.objects.values_list("financial_year", flat=True)))
    assert summary() == before


def ledger_pence() -> int:
    return int(Payment.objects.aggregate(t=Sum("amount_pence"))["t"] or 0)


@pytest.mark.django_db
def test_doubled_month_is_held_then_replaced_by_the_correction(
    tmp_path: Path, administrator: Any
) -> None:
    april = write(tmp_path / "april.csv", APRIL)
    doubled = write(tmp_path / "may-doubled.csv", MAY + MAY)
    corrected = write(
        tmp_path / "may.csv", [*MAY, ("T203", "HILLTOP TRUST", "30/05/2024", "12.00")]
    )
    services.import_paths(paths=[april])

    [held] = services.import_paths(paths=[doubled])
    assert held.status == ImportBatch.Status.HELD
    assert "appears twice" in held.warning
    assert ledger_pence() == sum(pence(r[3]) for r in APRIL)  # nothing of it counts yet

    services.batch_decide(batch=held, decision="import", user=administrator)
    held = services.batch_run_here(batch=held, user=administrator)
    assert held.status == ImportBatch.Status.LOADED
    assert ledger_pence() == sum(pence(r[3]) for r in APRIL) + 2 * sum(pence(r[3]) for r in MAY)

    # The correction alone would add one row and leave May doubled: it replaces the batch.
    [replacement] = services.import_paths(paths=[corrected], replaces=held, user=administrator)
    assert replacement.status == ImportBatch.Status.LOADED, replacement.error
    held.refresh_from_db()
    assert held.status == ImportBatch.Status.WITHDRAWN
    assert ledger_pence() == sum(pence(r[3]) for r in APRIL) + sum(
        pence(r[3]) for r in MAY
    ) + pence("12.00")
    assert_summary_is_a_rebuild()
    after = state()
    withdrawal = Withdrawal.objects.get(batch=held)
    assert withdrawal.replaced_by == replacement
    assert withdrawal.performed_by == administrator

    assert after == fresh_import([april, corrected])


@pytest.mark.django_db
def test_withdraw_and_undo_match_imports_of_the_files_left(tmp_path: Path) -> None:
    april = write(tmp_path / "april.csv", APRIL)
    may = write(tmp_path / "may.csv", MAY)
    services.import_paths(paths=[april])
    [may_batch] = services.import_paths(paths=[may])
    both = state()
    total_before = selectors.spend_total(2024)  # read (and cached) before the withdrawal

    withdrawal = services.batch_withdraw(batch=may_batch, user=None, reason="Wrong month")
    assert withdrawal.payment_count == len(MAY)
    assert withdrawal.total_pence == sum(pence(r[3]) for r in MAY)
    # The dashboards follow at once: the summary version moved with the summary.
    assert selectors.spend_total(2024) == total_before - sum(pence(r[3]) for r in MAY)
    assert_summary_is_a_rebuild()
    without_may = state()

    services.withdrawal_undo(withdrawal=withdrawal, user=None)
    may_batch.refresh_from_db()
    assert may_batch.status == ImportBatch.Status.LOADED
    assert_summary_is_a_rebuild()
    assert state() == both

    assert without_may == fresh_import([april])


@pytest.mark.django_db
def test_undo_is_refused_once_a_later_import_may_depend_on_it(tmp_path: Path) -> None:
    [may_batch] = services.import_paths(paths=[write(tmp_path / "may.csv", MAY)])
    withdrawal = services.batch_withdraw(batch=may_batch, user=None)
    services.import_paths(paths=[write(tmp_path / "again.csv", MAY[:2])])
    with pytest.raises(services.WithdrawRefused, match=r"again\.csv"):
        services.withdrawal_undo(withdrawal=withdrawal, user=None)
    assert ledger_pence() == sum(pence(r[3]) for r in MAY[:2])


@pytest.mark.django_db
def test_withdrawing_a_file_keeps_the_rows_another_file_also_holds(tmp_path: Path) -> None:
    april = write(tmp_path / "april.csv", APRIL)
    quarter = write(tmp_path / "quarter.csv", APRIL + MAY)  # holds April's rows too
    [april_batch] = services.import_paths(paths=[april])
    services.import_paths(paths=[quarter])
    services.batch_withdraw(batch=april_batch, user=None)
    assert ledger_pence() == sum(pence(r[3]) for r in APRIL + MAY)
    assert_summary_is_a_rebuild()
    assert state() == fresh_import([quarter])


@pytest.mark.django_db
def test_a_file_that_doubles_a_month_replaces_the_month_when_chosen(tmp_path: Path) -> None:
    first = write(tmp_path / "may-v1.csv", MAY)
    # The council's second publication of May: new references, the same spend again.
    second_rows = [(f"X{i}", name, day, amount) for i, (_, name, day, amount) in enumerate(MAY)]
    second = write(tmp_path / "may-v2.csv", second_rows)
    april = write(tmp_path / "april.csv", APRIL)
    services.import_paths(paths=[april, first])
    [held] = services.import_paths(paths=[second])
    assert held.status == ImportBatch.Status.HELD
    assert "double the month" in held.warning

    services.batch_decide(batch=held, decision="months", user=None)
    held = services.batch_run_here(batch=held, user=None)
    assert held.status == ImportBatch.Status.LOADED
    may_payments = Payment.objects.filter(payment_date__month=5)
    assert set(may_payments.values_list("batch_id", flat=True)) == {held.pk}
    assert ledger_pence() == sum(pence(r[3]) for r in APRIL + MAY)
    assert_summary_is_a_rebuild()
    after = state()
    # Undo of the period replacement takes the new file out and puts the old May back.
    withdrawal = Withdrawal.objects.get(replaced_by=held)
    services.withdrawal_undo(withdrawal=withdrawal, user=None)
    assert set(
        Payment.objects.filter(payment_date__month=5).values_list("natural_key", flat=True)
    ) == {
        k
        for k in Payment.objects.filter(payment_date__month=5).values_list("natural_key", flat=True)
        if "|X" not in k
    }
    assert ledger_pence() == sum(pence(r[3]) for r in APRIL + MAY)
    assert after == fresh_import([april, second])


@pytest.mark.django_db
def test_summary_version_changes_with_an_update_in_place(tmp_path: Path) -> None:
    services.import_paths(paths=[write(tmp_path / "may.csv", MAY[:1])])
    version = selectors.summary_version()
    # Same supplier, month and locality: the summary row is updated, not added.
    services.import_paths(paths=[write(tmp_path / "more.csv", [("T900", *MAY[0][1:3], "1.00")])])
    assert SpendSummary.objects.count() == 1
    assert selectors.summary_version() != version
    assert selectors.spend_total(2024) == pence(MAY[0][3]) + 100


@pytest.mark.django_db
def test_a_refused_replacement_leaves_what_it_would_replace(tmp_path: Path) -> None:
    [may_batch] = services.import_paths(paths=[write(tmp_path / "may.csv", MAY)])
    before = state()
    bad = write(tmp_path / "may-bad.csv", [*MAY, ("T9", "ROADS PLC", "31/02/2024", "1.00")])
    [replacement] = services.import_paths(paths=[bad], replaces=may_batch)
    assert replacement.status == ImportBatch.Status.REJECTED
    may_batch.refresh_from_db()
    assert may_batch.status == ImportBatch.Status.LOADED
    assert not Withdrawal.objects.exists()
    assert state() == before
