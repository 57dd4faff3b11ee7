"""The prompt-payment dashboard of a council with more suppliers and cost centres than it
lists: the 25 slowest suppliers kept (the page shows the ten slowest), the 100 busiest cost
centres, and the sentence saying how many invoice payments took the received-date rule. The
expected lists are worked out here from the rows the test writes."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from payments import selectors
from payments.models import OpenInvoiceImport
from spend.models import Payment, Supplier
from tests.payments.ledger import Row, import_rows
from tests.payments.scenario import PAID, RATES, RULE_DAYS, rule_set
from tests.payments.test_dashboard import invoice_payments

D = dt.date
FY_START, FY_END = D(2025, 4, 1), D(2026, 3, 31)
RECEIVED = D(2025, 6, 2)


def _received(row: Row) -> dt.date:
    """The received date the notice uses: the extract's, else the rule's."""
    if row.received is not None:
        return row.received
    assert row.invoice_date is not None
    return row.invoice_date + dt.timedelta(days=RULE_DAYS)


def _ledger() -> tuple[list[Row], dict[str, int]]:
    """One quick supplier ("001") paying through 101 cost centres, and 25 slow suppliers each
    paid once, supplier 1xx in xx days (all through cost centre CC001)."""
    rows: list[Row] = []
    departments = {"": 1, **{f"CC{n:03d}": 2 for n in range(1, 100)}, "CC100": 1}
    for centre, count in departments.items():
        for _ in range(count):
            n = len(rows) + 1
            # The unnamed cost centre and CC100 take days (so are among the slowest ten).
            days = {"": 7, "CC100": 5}.get(centre, 0)
            paid = RECEIVED + dt.timedelta(days=days)
            rows.append(Row(n, "001", f"Q-{n}", RECEIVED, paid, 1000, RECEIVED, cost_centre=centre))
    for k in range(1, 26):
        n = len(rows) + 1
        paid = RECEIVED + dt.timedelta(days=k)
        if k == 1:  # no received date: the rule (invoice date plus RULE_DAYS) gives RECEIVED
            invoice_date = RECEIVED - dt.timedelta(days=RULE_DAYS)
            rows.append(  # on an account no category rule covers, too
                Row(
                    n, f"1{k:02d}", f"S-{k}", invoice_date, paid, 5000, None,
                    cost_centre="CC001", account="99999",
                )
            )  # fmt: skip
        else:
            rows.append(
                Row(n, f"1{k:02d}", f"S-{k}", RECEIVED, paid, 5000, RECEIVED, cost_centre="CC001")
            )
    return rows, departments


def test_the_dashboard_keeps_the_slowest_suppliers_and_the_busiest_cost_centres(
    db: None, tmp_path: Path
) -> None:
    rule_set()
    rows, departments = _ledger()
    import_rows(tmp_path, rows)
    Supplier.objects.filter(supplier_number="101").update(is_sme=True)
    Supplier.objects.filter(supplier_number="102").update(is_sme=False)
    result = selectors.prompt_payment(FY_START, FY_END)

    # Average days per supplier, worked out from the rows.
    days: dict[str, list[int]] = {}
    for row in rows:
        days.setdefault(f"Supplier {row.supplier}", []).append((row.paid - _received(row)).days)
    average = {name: sum(d) / len(d) for name, d in days.items()}
    slowest = sorted(average, key=lambda name: (-average[name], name))
    assert result.supplier_count == len(days) == 26
    assert {r.label for r in result.by["supplier"]} == set(slowest[:25])
    assert [r.label for r in result.slowest_suppliers] == slowest[:10]

    # The busiest 100 cost centres (most invoice payments, then by name): all but CC100.
    count = dict.fromkeys(departments, 0)
    for row in rows:
        count[row.cost_centre] += 1
    busiest = sorted(count, key=lambda centre: (-count[centre], centre))[:100]
    assert result.department_count == len(departments) == 101
    labels = {centre or "No cost centre" for centre in busiest}
    assert [r.label for r in result.by["department"]] == sorted(labels)
    assert "CC100" not in labels
    # The ten slowest cost centres are of all of them, CC100 among them.
    spent: dict[str, list[int]] = {}
    for row in rows:
        label = row.cost_centre or "No cost centre"
        spent.setdefault(label, []).append((row.paid - _received(row)).days)
    mean = {label: sum(d) / len(d) for label, d in spent.items()}
    ten = sorted(mean, key=lambda label: (-mean[label], label))[:10]
    assert [
        (r.label, r.invoices, r.total_days, r.within_10, r.within_30)
        for r in result.slowest_departments
    ] == [
        (
            label,
            len(spent[label]),
            sum(spent[label]),
            sum(d <= 10 for d in spent[label]),
            sum(d <= 30 for d in spent[label]),
        )
        for label in ten
    ]
    assert "No cost centre" in ten
    assert "CC100" in [r.label for r in result.slowest_departments]

    # By size (one SME, one not, the rest not known) and by category, each in label order.
    sme = {r.label: r.invoices for r in result.by["sme"]}
    assert sme == {"SME": 1, "Not an SME": 1, "Not known": len(rows) - 2}
    assert list(sme) == sorted(sme)
    categories = {
        p.category.name if p.category else "No category"
        for p in Payment.objects.select_related("category")
    }
    assert [r.label for r in result.by["category"]] == sorted(categories)
    assert "No category" in categories

    fallback = sum(row.received is None for row in rows)
    assert result.rule_sentence == (
        f"{fallback} of {len(rows)} invoice payments measured had no received date; "
        f"for these the portal used {selectors.duty_settings().rule_text}."
    )


def test_a_year_without_invoice_payments_has_none_measured(db: None) -> None:
    result = selectors.prompt_payment(FY_START, FY_END)
    assert (result.overall.invoices, result.overall.average_days) == (0, None)
    assert (result.overall.share_10, result.overall.share_30) == (None, None)
    assert result.rule_sentence == (
        "Every invoice payment measured has its received date from the extract."
    )


def test_late_payment_interest_is_named_per_supplier(period_ledger: OpenInvoiceImport) -> None:
    # As tests/payments/test_dashboard.py works out the total, supplier by supplier.
    late = [i for i in invoice_payments(PAID) if i["paid"] > i["due"]]  # type: ignore[operator]
    owed: dict[str, list[Decimal]] = {}
    for item in late:
        due = item["due"]
        assert isinstance(due, dt.date)
        starts = due + dt.timedelta(days=1)
        reference = D(starts.year - 1, 12, 31) if starts.month <= 6 else D(starts.year, 6, 30)
        days_late = (item["paid"] - due).days  # type: ignore[operator]
        interest = Decimal(int(str(item["amount"]))) * (RATES[reference] + 8) / 100 * days_late
        owed.setdefault(f"Supplier {item['supplier']}", []).append(interest / 365)
    expected = [
        (name, len(each), int(sum(each, Decimal(0)).quantize(Decimal(1), ROUND_HALF_UP)))
        for name, each in owed.items()
    ]
    result = selectors.late_interest(FY_START, FY_END)
    assert result.by_supplier == sorted(expected, key=lambda t: (-t[2], t[0]))
