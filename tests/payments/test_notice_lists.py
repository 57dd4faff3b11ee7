"""What the notice's lists and scope show, row by row, against the rows the test writes: each
column of an invoice in a list, the lists' headings, exclusions whose account codes hold LIKE's
wildcards, a payment two exclusions cover, a period of one invoice, and figures served from
the cache while nothing they are made from has changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from payments import selectors, services
from payments.models import OpenInvoiceImport
from payments.periods import period_starting
from portal.models import User
from spend import services as spend_services
from spend.models import Category
from tests.conftest import TEST_PASSWORD
from tests.payments.ledger import Row, import_rows
from tests.payments.scenario import OPEN, PAID, RULE_DAYS, START, Open, rule_set

D = dt.date
NOTICE = f"/payments/notices/{START.isoformat()}/"


def _paid(invoice: str) -> Row:
    [row] = [r for r in PAID if r.invoice == invoice]
    return row


def _open(invoice: str) -> Open:
    [row] = [r for r in OPEN if r.invoice == invoice]
    return row


def test_a_paid_invoice_in_a_list_shows_each_of_its_own_dates_and_amount(
    period_ledger: OpenInvoiceImport,
) -> None:
    listed = {
        i.invoice_number: i for i in selectors.notice_invoices(period_starting(START), "1-30")
    }
    for invoice in ("E-1", "N-1"):  # a received date in the extract; none (the rule's)
        row = _paid(invoice)
        assert row.invoice_date is not None
        used = row.received or row.invoice_date + dt.timedelta(days=RULE_DAYS)
        got = listed[invoice]
        assert got == selectors.NoticeInvoice(
            supplier_number=row.supplier,
            supplier_name=f"Supplier {row.supplier}",
            invoice_number=invoice,
            invoice_date=row.invoice_date,
            received_date=row.received,
            received_used=used,
            fallback=row.received is None,
            due_date=row.due,
            payment_date=row.paid,
            days=(row.paid - used).days,
            amount_pence=row.pence,
            disputed=False,
        )


@pytest.mark.parametrize(
    ("band", "invoice"), [("unpaid", "U-1"), ("unpaid", "U-5"), ("disputed", "D-1")]
)
def test_an_open_invoice_in_a_list_shows_each_of_its_own_dates_and_amount(
    period_ledger: OpenInvoiceImport, band: str, invoice: str
) -> None:
    listed = {i.invoice_number: i for i in selectors.notice_invoices(period_starting(START), band)}
    row = _open(invoice)
    assert row.invoice_date is not None
    used = row.received or row.invoice_date + dt.timedelta(days=RULE_DAYS)
    assert listed[invoice] == selectors.NoticeInvoice(
        supplier_number=row.supplier,
        supplier_name=f"Supplier {row.supplier}",
        invoice_number=invoice,
        invoice_date=row.invoice_date,
        received_date=row.received,
        received_used=used,
        fallback=row.received is None,
        due_date=row.due or used + dt.timedelta(days=30),
        payment_date=None,
        days=None,
        amount_pence=row.pence,
        disputed=row.disputed,
    )


# The notice's lists as an officer reads them (headings are the notice's wording).
HEADINGS = {
    "credit": "Credit notes (left out of the measures)",
    "unmeasurable": "Cannot be measured (no dates, or received after payment)",
    "unpaid": "Payable in the period and not paid in it",
    "disputed": "Disputed at the period&#x27;s end (left out)",
}


@pytest.mark.parametrize("band", list(HEADINGS))
def test_each_list_is_headed_by_what_it_holds(
    period_ledger: OpenInvoiceImport, officer: User, band: str
) -> None:
    client = Client()
    assert client.login(username=officer.email, password=TEST_PASSWORD)
    page = client.get(NOTICE + f"invoices/{band}/").content.decode()
    assert f'<h1 class="govuk-heading-l">{HEADINGS[band]}</h1>' in page


def test_account_codes_holding_like_wildcards_exclude_only_themselves(
    db: None, tmp_path: Path
) -> None:
    # Account prefixes are matched with LIKE: "_", "%" and "\" in a prefix mean themselves.
    rule_set()
    for prefix in ("4_1", "6%", "7\\"):
        services.exclusion_add(reason="Test", user=None, account_prefix=prefix)
    day, paid = D(2026, 1, 5), D(2026, 1, 20)
    accounts = {"4_10": True, "4910": False, "6%00": True, "6500": False, "7\\00": True}
    accounts["7000"] = False
    rows = [
        Row(n, f"{n}00", f"A-{n}", day, paid, 1000 * n, day, account=account)
        for n, account in enumerate(accounts, start=1)
    ]
    import_rows(tmp_path, rows)
    figures = selectors.notice_figures(period_starting(START), fresh=True)
    kept = [r for r in rows if not accounts[r.account]]
    assert figures.invoices_paid == len(kept)
    assert figures.paid_pence == sum(r.pence for r in kept)
    assert figures.excluded_pence == sum(r.pence for r in rows if accounts[r.account])


def test_a_payment_two_exclusions_cover_is_left_out_once_under_the_older(
    db: None, tmp_path: Path
) -> None:
    rule_set()
    spend_services.category_rule_set(account_prefix="55100", category_name="Adult social care")
    older = services.exclusion_add(
        reason="Care", user=None, category=Category.objects.get(name="Adult social care")
    )
    newer = services.exclusion_add(reason="Care accounts", user=None, account_prefix="551")
    day = D(2026, 1, 5)
    rows = [
        Row(1, "100", "S-1", day, D(2026, 1, 20), 99900, day, account="55100"),
        Row(2, "100", "S-2", day, D(2026, 1, 21), 100, day, account="55100"),
    ]
    import_rows(tmp_path, rows)
    figures = selectors.notice_figures(period_starting(START), fresh=True)
    by_label = {e.label: e.pence for e in figures.excluded}
    assert by_label == {older.label: sum(r.pence for r in rows), newer.label: 0}
    assert figures.excluded_pence == sum(r.pence for r in rows)


def test_a_period_of_one_invoice_payment_has_all_of_it_in_its_band(
    db: None, tmp_path: Path
) -> None:
    rule_set()
    received, paid = D(2026, 1, 5), D(2026, 1, 15)
    import_rows(tmp_path, [Row(1, "100", "O-1", received, paid, 5000, received)])
    figures = selectors.notice_figures(period_starting(START), fresh=True)
    assert figures.band_percents == {"1-30": Decimal(100), "31-60": Decimal(0), "61+": 0}
    assert figures.average_days == Decimal((paid - received).days)
    assert figures.rule_sentence == (
        "Every invoice payment measured has its received date from the extract."
    )


def test_figures_once_worked_out_are_read_back_while_nothing_changes(
    period_ledger: OpenInvoiceImport,
) -> None:
    period = period_starting(START)
    first = selectors.notice_figures(period)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.notice_figures(period)
    assert again == first
    # Only the version of what the figures are made from is read (one query), not the ledger.
    assert len(queries) == 1, [q["sql"][:80] for q in queries]


def test_a_list_of_more_invoices_than_the_limit_keeps_the_longest_to_pay(
    db: None, tmp_path: Path, officer: User
) -> None:
    rule_set()
    received = D(2026, 1, 1)
    # Invoice 1 is paid the day it came in; the other 2,000 took 1 to 29 days.
    rows = [Row(1, "100", "B-1", received, received, 100, received)]
    rows += [
        Row(n, "100", f"B-{n}", received, received + dt.timedelta(days=1 + n % 29), 100, received)
        for n in range(2, 2002)
    ]
    import_rows(tmp_path, rows)
    listed = selectors.notice_invoices(period_starting(START), "1-30")
    assert len(listed) == 2000 == len(rows) - 1
    assert "B-1" not in {i.invoice_number for i in listed}
    client = Client()
    assert client.login(username=officer.email, password=TEST_PASSWORD)
    page = client.get(NOTICE + "invoices/1-30/").content.decode()
    assert "2,000 invoices (the first 2,000, longest to pay first)" in page
