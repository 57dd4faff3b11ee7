"""The notice's figures against the same figures worked out in the test from its own rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from payments import selectors, services
from payments.models import OpenInvoiceImport, PaymentsComplianceNotice, ScopeExclusion
from payments.periods import period_starting
from portal.models import User
from tests.payments.ledger import Row, import_rows
from tests.payments.scenario import END, OPEN, PAID, START, expected_figures

D = dt.date


def test_every_figure_matches_the_rows(period_ledger: OpenInvoiceImport) -> None:
    figures = selectors.notice_figures(period_starting(START))
    want = expected_figures(PAID, OPEN, START, END)
    assert figures.invoices_paid == len(want.measured_days) == 8
    assert figures.average_days == want.average()
    assert figures.band_percents == {
        "1-30": want.share(0, 30),
        "31-60": want.share(31, 60),
        "61+": want.share(61, None),
    }
    assert figures.fallback_count == want.fallback == 2
    assert figures.credit_count == want.credits == 1
    assert figures.credit_pence == want.credit_pence == -2500
    assert figures.unmeasurable_count == want.unmeasurable == 2
    assert figures.payable_paid_count == want.payable_paid
    assert (figures.unpaid_count, figures.unpaid_pence) == (want.unpaid, want.unpaid_pence)
    assert (figures.disputed_count, figures.disputed_pence) == (1, 40000)
    assert figures.unpaid_percent == (
        Decimal(want.unpaid) * 100 / (want.unpaid + want.payable_paid)
    ).quantize(Decimal("0.1"))
    assert [e.pence for e in figures.excluded] == [
        want.excluded_pence["category"],
        want.excluded_pence["prefix"],
    ]
    assert "2 of 8 invoice payments measured had no received date" in figures.rule_sentence
    assert "the invoice date plus 3 days" in figures.rule_sentence


def test_hand_checked_figures(period_ledger: OpenInvoiceImport) -> None:
    # Days: 5, 30, 31, 60, 73, 15, 108, 8 -> mean 330 / 8 = 41.25 -> 41.3 (half up).
    figures = selectors.notice_figures(period_starting(START))
    assert figures.total_days == 330
    assert figures.average_days == Decimal("41.3")
    assert figures.band_counts == {"1-30": 4, "31-60": 2, "61+": 2}
    # Unpaid: U-1, U-2, U-5 (due 15 March by the rule); paid and due in the period: E-1 (due
    # 4 Feb), E-2 (31 Jan), M-1 (31 Jan), M-2 (31 Jan), L-1 (31 Jan), N-1 (4 Feb), N-2
    # (1 Dec: before the period, so not counted), T-1 (4 Mar), X-2 (19 Feb: paid 15 Jan,
    # though its days cannot be measured).
    assert (figures.unpaid_count, figures.payable_paid_count) == (3, 8)
    assert figures.unpaid_percent == Decimal("27.3")


def test_without_received_dates_the_rule_is_the_invoice_date(db: None, tmp_path: Path) -> None:
    rows = [
        Row(1, "100", "A", D(2026, 4, 1), D(2026, 4, 11), 1000),
        Row(2, "100", "B", D(2026, 4, 1), D(2026, 6, 30), 1000),
    ]
    import_rows(tmp_path, rows)
    figures = selectors.notice_figures(period_starting(D(2026, 4, 1)))
    assert figures.total_days == 10 + 90
    assert figures.fallback_count == 2
    assert figures.band_counts == {"1-30": 1, "31-60": 0, "61+": 1}
    assert "used the invoice date" in figures.rule_sentence
    assert figures.unpaid_count is None  # no open invoices file for 30 September 2026
    assert not figures.complete


def test_drill_down_lists_the_invoices_of_each_band(period_ledger: OpenInvoiceImport) -> None:
    period = period_starting(START)
    invoices = {band: selectors.notice_invoices(period, band) for band, _ in selectors.BANDS}
    assert sorted(i.invoice_number for i in invoices["1-30"]) == ["E-1", "E-2", "N-1", "T-1"]
    assert sorted(i.invoice_number for i in invoices["31-60"]) == ["M-1", "M-2"]
    assert [i.invoice_number for i in invoices["61+"]] == ["N-2", "L-1"]
    [t1] = [i for i in invoices["1-30"] if i.invoice_number == "T-1"]
    assert t1.amount_pence == 1000
    assert t1.days == 8
    [n1] = [i for i in invoices["1-30"] if i.invoice_number == "N-1"]
    assert n1.fallback
    assert n1.received_used == D(2026, 1, 5)
    assert n1.received_date is None
    assert [i.invoice_number for i in selectors.notice_invoices(period, "credit")] == ["C-1"]
    assert {i.invoice_number for i in selectors.notice_invoices(period, "unmeasurable")} == {
        "X-1",
        "X-2",
    }
    assert {i.invoice_number for i in selectors.notice_invoices(period, "unpaid")} == {
        "U-1",
        "U-2",
        "U-5",
    }
    assert [i.invoice_number for i in selectors.notice_invoices(period, "disputed")] == ["D-1"]


def test_approval_freezes_the_figures(
    period_ledger: OpenInvoiceImport, tmp_path: Path, officer: User
) -> None:
    period = period_starting(START)
    notice = services.notice_approve(
        period=period,
        approver_name="Jane Smith",
        approver_job_title="Director of Finance (s.151 officer)",
        user=officer,
    )
    frozen = dict(notice.figures or {})
    import_rows(
        tmp_path,
        [Row(99, "100", "LATE", D(2026, 1, 1), D(2026, 3, 30), 500, D(2026, 1, 1))],
        "later.csv",
    )
    assert selectors.notice_figures(period).invoices_paid == 9
    notice.refresh_from_db()
    assert notice.figures == frozen
    assert notice.figures["invoices_paid"] == 8
    assert notice.status == PaymentsComplianceNotice.Status.APPROVED
    assert (notice.approver_name, notice.recorded_by) == ("Jane Smith", officer)
    with pytest.raises(services.NoticeNotReady, match="already approved by Jane Smith"):
        services.notice_approve(
            period=period, approver_name="Someone", approver_job_title="Else", user=officer
        )


def test_approval_refused_without_the_open_invoices(
    db: None, tmp_path: Path, officer: User
) -> None:
    import_rows(tmp_path, [Row(1, "100", "A", D(2026, 4, 1), D(2026, 4, 11), 1000)])
    with pytest.raises(
        services.NoticeNotReady, match=r"Upload the open \(unpaid\) invoices at 30 September 2026"
    ):
        services.notice_approve(
            period=period_starting(D(2026, 4, 1)),
            approver_name="Jane Smith",
            approver_job_title="Director of Finance",
            user=officer,
        )
    assert not PaymentsComplianceNotice.objects.exists()


def test_cached_figures_follow_every_change(period_ledger: OpenInvoiceImport) -> None:
    period = period_starting(START)
    assert selectors.notice_figures(period).total_days == 330
    # The rule: invoice date plus 10 days instead of 3 (N-1: 8 days, N-2: 101 days).
    services.duty_settings_save(
        authority_name="Example County Council",
        authority_address="",
        authority_email="",
        ppon="",
        received_rule="invoice_date_plus",
        received_days=10,
    )
    assert selectors.notice_figures(period).total_days == 330 - 14
    # An exclusion removed: the grant (G-1, paid 20 February, received 2 January: 49 days).
    grants = ScopeExclusion.objects.get(account_prefix="590")
    services.exclusion_remove(exclusion=grants)
    figures = selectors.notice_figures(period)
    assert figures.invoices_paid == 9
    assert figures.total_days == 330 - 14 + 49
    assert figures == selectors.notice_figures(period, fresh=True)


def test_a_would_have_been_period_is_not_approved(
    period_ledger: OpenInvoiceImport, officer: User
) -> None:
    earlier = period_starting(D(2025, 10, 1))
    # October 2025 to March 2026 holds the first statutory period's invoices and O-2.
    assert selectors.notice_figures(earlier).invoices_paid == 9
    with pytest.raises(services.NoticeNotReady, match="would have been"):
        services.notice_approve(
            period=earlier, approver_name="Jane Smith", approver_job_title="Director", user=officer
        )


def test_an_exclusion_adds_up_every_account_it_covers(
    db: None, tmp_path: Path, administrator: User
) -> None:
    # Two accounts under the grants prefix are two groups of the ledger: the exclusion's
    # figure is both together, not the last one read.
    rows = [
        Row(1, "100", "A", D(2026, 4, 1), D(2026, 4, 11), 1000),
        Row(2, "200", "G-1", D(2026, 4, 1), D(2026, 4, 20), 50000, account="59010"),
        Row(3, "200", "G-2", D(2026, 4, 2), D(2026, 4, 21), 7550, account="59020"),
        Row(4, "200", "G-3", D(2026, 4, 3), D(2026, 4, 22), 125, account="59020"),
    ]
    import_rows(tmp_path, rows)
    services.exclusion_add(reason="Grants", user=administrator, account_prefix="590")
    figures = selectors.notice_figures(period_starting(D(2026, 4, 1)), fresh=True)
    grants = [row for row in rows if row.account.startswith("590")]
    [excluded] = figures.excluded
    assert (excluded.lines, excluded.pence) == (len(grants), sum(r.pence for r in grants))
    assert figures.invoices_paid == len(rows) - len(grants)
