"""A period's ledger with early, late, credit-note, undated and excluded invoice payments, and
the open invoices at its end, written by the test; and the figures computed here from them."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from payments import services
from payments.models import OpenInvoiceImport
from portal.models import User
from spend import services as spend_services
from spend.models import Category
from tests.payments.ledger import Row, import_rows

D = dt.date
START, END = D(2026, 1, 1), D(2026, 3, 31)
RULE_DAYS = 3  # the council's rule in these tests: invoice date plus 3 days
EXCLUDED_CATEGORY = "Adult social care"  # account 55100 by the starting category rules
EXCLUDED_PREFIX = "590"  # grants

PAID = [
    # supplier, invoice, invoice date, paid, pence, received, due
    Row(1, "100", "E-1", D(2026, 1, 3), D(2026, 1, 10), 12000, D(2026, 1, 5), D(2026, 2, 4)),
    Row(2, "100", "E-2", D(2025, 12, 30), D(2026, 1, 31), 30000, D(2026, 1, 1)),  # day 30
    Row(3, "200", "M-1", D(2025, 12, 30), D(2026, 2, 1), 45000, D(2026, 1, 1)),  # day 31
    Row(4, "200", "M-2", D(2026, 1, 2), D(2026, 3, 2), 5000, D(2026, 1, 1), D(2026, 1, 31)),
    Row(5, "300", "L-1", D(2025, 12, 1), D(2026, 3, 15), 80000, D(2026, 1, 1)),  # day 73
    # No received date: the rule gives 5 January, so 15 days.
    Row(6, "300", "N-1", D(2026, 1, 2), D(2026, 1, 20), 7000),
    Row(7, "300", "N-2", D(2025, 11, 1), D(2026, 2, 20), 1500),  # 108 days by the rule
    # Two lines of one invoice paid together: one invoice payment of £10.
    Row(8, "400", "T-1", D(2026, 2, 1), D(2026, 2, 10), 600, D(2026, 2, 2), line=1),
    Row(9, "400", "T-1", D(2026, 2, 1), D(2026, 2, 10), 400, D(2026, 2, 2), line=2),
    # A credit note.
    Row(10, "400", "C-1", D(2026, 2, 5), D(2026, 2, 20), -2500, D(2026, 2, 6)),
    # Cannot be measured: no dates at all; and received after it was paid.
    Row(11, "500", "X-1", None, D(2026, 3, 1), 9900),
    Row(12, "500", "X-2", D(2026, 1, 10), D(2026, 1, 15), 3300, D(2026, 1, 20)),
    # Out of scope: an excluded category and an excluded account prefix.
    Row(13, "600", "S-1", D(2026, 1, 1), D(2026, 1, 20), 99900, D(2026, 1, 2), account="55100"),
    Row(14, "600", "G-1", D(2026, 1, 1), D(2026, 2, 20), 50000, D(2026, 1, 2), account="59010"),
    # Voided: not spend.
    Row(15, "700", "V-1", D(2026, 1, 1), D(2026, 1, 9), 77700, D(2026, 1, 2), status="VOIDED"),
    # Outside the period.
    Row(16, "700", "O-1", D(2026, 3, 20), D(2026, 4, 2), 4400, D(2026, 3, 21)),
    Row(17, "700", "O-2", D(2025, 12, 1), D(2025, 12, 31), 4400, D(2025, 12, 2)),
]

OPEN_HEADER = "Supplier Number,Supplier Name,Invoice Number,Invoice Date,Invoice Received Date,"
OPEN_HEADER += "Due Date,Amount Remaining,Disputed,Account"


@dataclass(frozen=True)
class Open:
    supplier: str
    invoice: str
    invoice_date: dt.date | None
    received: dt.date | None
    due: dt.date | None
    pence: int
    disputed: bool = False
    account: str = "52100"

    def line(self) -> str:
        def iso(day: dt.date | None) -> str:
            return day.strftime("%d/%m/%Y") if day else ""

        amount = (
            f"{'-' if self.pence < 0 else ''}{abs(self.pence) // 100}.{abs(self.pence) % 100:02d}"
        )
        return ",".join(
            [
                self.supplier, f"Supplier {self.supplier}", self.invoice, iso(self.invoice_date),
                iso(self.received), iso(self.due), amount, "Y" if self.disputed else "N",
                self.account,
            ]
        )  # fmt: skip


OPEN = [
    Open("100", "U-1", D(2026, 2, 15), D(2026, 2, 18), D(2026, 3, 20), 25000),  # unpaid, due
    Open("200", "U-2", D(2026, 1, 28), D(2026, 2, 1), None, 13000),  # due 3 March (implied)
    Open("200", "U-3", D(2026, 3, 1), D(2026, 3, 10), None, 9000),  # due 9 April: not yet
    Open("300", "U-4", D(2026, 3, 1), D(2026, 3, 2), D(2026, 4, 15), 6000),  # not yet due
    Open("300", "D-1", D(2026, 1, 10), D(2026, 1, 11), D(2026, 3, 1), 40000, disputed=True),
    Open("300", "CR-1", D(2026, 2, 10), D(2026, 2, 11), D(2026, 3, 1), -1000),  # credit
    Open("600", "G-9", D(2026, 2, 10), D(2026, 2, 11), D(2026, 3, 1), 70000, account="59010"),
    Open("100", "U-5", D(2026, 2, 10), None, None, 2000),  # by the rule: due 15 March
]


def open_file(rows: list[Open]) -> io.BytesIO:
    return io.BytesIO(("\r\n".join([OPEN_HEADER] + [r.line() for r in rows]) + "\r\n").encode())


def exclusions_set(user: User | None) -> None:
    # The starting rules come from a data migration, which a transactional test's flush
    # empties: set the two this scenario relies on.
    spend_services.category_rule_set(account_prefix="55100", category_name=EXCLUDED_CATEGORY)
    spend_services.category_rule_set(account_prefix="52100", category_name="Waste")
    services.exclusion_add(
        reason="Care packages are not procured contracts",
        user=user,
        category=Category.objects.get(name=EXCLUDED_CATEGORY),
    )
    services.exclusion_add(reason="Grants", user=user, account_prefix=EXCLUDED_PREFIX)


# The reference rates this scenario's late invoices need (Bank Rate in force on the day).
RATES = {D(2025, 6, 30): Decimal("4.25"), D(2025, 12, 31): Decimal("3.75")}


def rates_set() -> None:
    services.base_rate_set(effective_from=D(2025, 5, 8), rate=RATES[D(2025, 6, 30)])
    services.base_rate_set(effective_from=D(2025, 12, 18), rate=RATES[D(2025, 12, 31)])


def rule_set() -> None:
    services.duty_settings_save(
        authority_name="Example County Council",
        authority_address="County Hall, Preston PR1 8XJ",
        authority_email="procurement@example.gov.uk",
        ppon="PBCD-1234-EFGH",
        received_rule="invoice_date_plus",
        received_days=RULE_DAYS,
    )


@pytest.fixture
def period_ledger(db: None, tmp_path: Path, administrator: User) -> OpenInvoiceImport:
    rule_set()
    rates_set()
    exclusions_set(administrator)
    import_rows(tmp_path, PAID)
    return services.open_invoices_import(
        source=open_file(OPEN), file_name="open.csv", as_at=END, user=administrator
    )


# --- The figures, worked out from the rows above (not from the portal's code) ---------------


@dataclass
class ExpectedFigures:
    measured_days: list[int]
    fallback: int
    credits: int
    credit_pence: int
    unmeasurable: int
    payable_paid: int
    unpaid: int
    unpaid_pence: int
    disputed: int
    disputed_pence: int
    excluded_pence: dict[str, int]

    def average(self) -> Decimal:
        return (Decimal(sum(self.measured_days)) / len(self.measured_days)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )

    def share(self, low: int, high: int | None) -> Decimal:
        inside = [d for d in self.measured_days if d >= low and (high is None or d <= high)]
        return (Decimal(len(inside)) * 100 / len(self.measured_days)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


def expected_figures(paid: list[Row], opened: list[Open], start: D, end: D) -> ExpectedFigures:
    def excluded(account: str) -> str | None:
        if account.startswith("551"):
            return "category"
        if account.startswith(EXCLUDED_PREFIX):
            return "prefix"
        return None

    def received(invoice: D | None, got: D | None) -> D | None:
        return got or (invoice + dt.timedelta(days=RULE_DAYS) if invoice else None)

    groups: dict[tuple[str, str, D], list[Row]] = defaultdict(list)
    excluded_pence = {"category": 0, "prefix": 0}
    for row in paid:
        if row.status == "VOIDED" or not start <= row.paid <= end:
            continue
        why = excluded(row.account)
        if why:
            excluded_pence[why] += row.pence
            continue
        groups[(row.supplier, row.invoice, row.paid)].append(row)
    days: list[int] = []
    fallback = credits = credit_pence = unmeasurable = payable_paid = 0
    for (_, _, paid_on), lines in groups.items():
        amount = sum(r.pence for r in lines)
        if amount <= 0:
            credits += 1
            credit_pence += amount
            continue
        got = min((r.received for r in lines if r.received), default=None)
        on = received(lines[0].invoice_date, got)
        if on is not None:
            # Payable in the period and paid in it, whether or not its days can be measured.
            due = lines[0].due or on + dt.timedelta(days=30)
            payable_paid += start <= due <= end
        if on is None or on > paid_on:
            unmeasurable += 1
            continue
        days.append((paid_on - on).days)
        fallback += got is None
    unpaid = unpaid_pence = disputed = disputed_pence = 0
    for item in opened:
        if item.pence <= 0 or excluded(item.account):
            continue
        seen = received(item.invoice_date, item.received)
        falls_due = item.due or (seen + dt.timedelta(days=30) if seen else None)
        if falls_due is None or not start <= falls_due <= end:
            continue
        if item.disputed:
            disputed += 1
            disputed_pence += item.pence
        else:
            unpaid += 1
            unpaid_pence += item.pence
    return ExpectedFigures(
        days, fallback, credits, credit_pence, unmeasurable, payable_paid, unpaid, unpaid_pence,
        disputed, disputed_pence, excluded_pence,
    )  # fmt: skip
