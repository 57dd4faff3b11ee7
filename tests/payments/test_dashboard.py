"""The prompt-payment dashboard against figures worked out in the test from its own rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.test import Client

from payments import selectors
from payments.models import OpenInvoiceImport
from portal.models import User
from tests.conftest import TEST_PASSWORD
from tests.payments.ledger import Row
from tests.payments.scenario import PAID, RATES, RULE_DAYS

D = dt.date
FY_START, FY_END = D(2025, 4, 1), D(2026, 3, 31)


def invoice_payments(rows: list[Row]) -> list[dict[str, object]]:
    """The scenario's measurable invoice payments in 2025/26, in scope, with their days."""
    groups: dict[tuple[str, str, D], list[Row]] = defaultdict(list)
    for row in rows:
        if row.status == "VOIDED" or not FY_START <= row.paid <= FY_END:
            continue
        if row.account.startswith(("551", "590")):
            continue
        groups[(row.supplier, row.invoice, row.paid)].append(row)
    found = []
    for (supplier, invoice, paid), lines in groups.items():
        amount = sum(r.pence for r in lines)
        got = min((r.received for r in lines if r.received), default=None)
        first = lines[0]
        on = got or (
            first.invoice_date + dt.timedelta(days=RULE_DAYS) if first.invoice_date else None
        )
        if amount <= 0 or on is None:
            continue
        found.append(
            {
                "supplier": supplier,
                "invoice": invoice,
                "paid": paid,
                "amount": amount,
                "received": on,
                "days": (paid - on).days,
                "due": first.due or on + dt.timedelta(days=30),
                "cost_centre": first.cost_centre,
            }
        )
    return found


def q1(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), ROUND_HALF_UP)


def test_days_to_pay_every_way(period_ledger: OpenInvoiceImport) -> None:
    result = selectors.prompt_payment(FY_START, FY_END)
    measured = [i for i in invoice_payments(PAID) if int(str(i["days"])) >= 0]
    days = [int(str(i["days"])) for i in measured]
    assert result.overall.invoices == len(days)
    assert result.overall.average_days == q1(Decimal(sum(days)) / len(days))
    assert result.overall.share_10 == q1(Decimal(sum(d <= 10 for d in days)) * 100 / len(days))
    assert result.overall.share_30 == q1(Decimal(sum(d <= 30 for d in days)) * 100 / len(days))

    by_month: dict[str, list[int]] = defaultdict(list)
    by_supplier: dict[str, list[int]] = defaultdict(list)
    for item, d in zip(measured, days, strict=True):
        paid = item["paid"]
        assert isinstance(paid, dt.date)
        by_month[f"{paid:%B %Y}"].append(d)
        by_supplier[f"Supplier {item['supplier']}"].append(d)
    assert {r.label: (r.invoices, r.total_days) for r in result.by["month"]} == {
        k: (len(v), sum(v)) for k, v in by_month.items()
    }
    # Every supplier of the scenario is among the slowest 25 the dashboard keeps.
    assert result.supplier_count == len(by_supplier)
    assert {r.label: (r.invoices, r.total_days) for r in result.by["supplier"]} == {
        k: (len(v), sum(v)) for k, v in by_supplier.items()
    }
    assert [r.label for r in result.by["month"]] == [
        "December 2025",
        "January 2026",
        "February 2026",
        "March 2026",
    ]
    averages = {k: q1(Decimal(sum(v)) / len(v)) for k, v in by_supplier.items()}
    assert [r.label for r in result.slowest_suppliers] == sorted(
        averages, key=lambda k: (-averages[k], k)
    )
    assert [r.label for r in result.slowest_departments] == ["AS1001"]
    assert {r.label for r in result.by["sme"]} == {"Not known"}
    assert [r.label for r in result.by["department"]] == ["AS1001"]


def test_late_payment_interest(period_ledger: OpenInvoiceImport) -> None:
    late = [i for i in invoice_payments(PAID) if i["paid"] > i["due"]]  # type: ignore[operator]
    total = Decimal(0)
    for item in late:
        due = item["due"]
        assert isinstance(due, dt.date)
        starts = due + dt.timedelta(days=1)
        reference = D(starts.year - 1, 12, 31) if starts.month <= 6 else D(starts.year, 6, 30)
        rate = RATES[reference] + 8
        days_late = (item["paid"] - due).days  # type: ignore[operator]
        total += Decimal(int(str(item["amount"]))) * rate / 100 * days_late / 365
    interest = selectors.late_interest(FY_START, FY_END)
    # M-1 (1 day), M-2 (30), L-1 (43) and N-2 (78, due December 2025: the June rate).
    assert sorted(str(i["invoice"]) for i in late) == ["L-1", "M-1", "M-2", "N-2"]
    assert interest.late_invoices == 4
    assert interest.late_pence == sum(int(str(i["amount"])) for i in late)
    assert interest.interest_pence == int(total.quantize(Decimal(1), ROUND_HALF_UP))
    assert interest.no_rate == 0


def test_dashboard_page_for_a_councillor(
    period_ledger: OpenInvoiceImport, councillor: User
) -> None:
    client = Client()
    assert client.login(username=councillor.email, password=TEST_PASSWORD)
    page = client.get("/payments/dashboard/?fy=2025").content.decode()
    result = selectors.prompt_payment(FY_START, FY_END)
    assert f'id="overall-average">{result.overall.average_days}<' in page
    assert "Supplier 300" in page
    assert "Late-payment interest" in page
