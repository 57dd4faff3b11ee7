"""Spend against a contract, the projection, spend with no contract behind it, and the
register's status from dates: a ledger imported through the real import and a register, with
every expected figure worked out here from the rows written (never from the selectors)."""

from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest
from django.test import Client

from contracts import selectors, services
from contracts.models import Contract
from spend import selectors as spend_selectors
from tests.contracts.conftest import register_row, write_csv
from tests.contracts.ledger import (
    PROFESSIONAL,
    TODAY,
    build_ledger_and_register,
    ledger_rows,
    make_contract,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    build_ledger_and_register(tmp_path)


def fy_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def test_spend_against_a_contract_by_each_rule_month_and_year(ledger: None) -> None:
    acme = Contract.objects.get(reference="C-ACME")
    start, end = date(2024, 4, 15), date(2026, 4, 14)
    by_dates = [
        p for p in ledger_rows() if p.supplier == "S100" and start <= p.day <= min(end, TODAY)
    ]
    by_reference = [p for p in ledger_rows() if p.order == "C-ACME"]
    by_link = [p for p in ledger_rows() if p.invoice == "G-LINK"]
    expected = sum(p.pence for p in by_dates + by_reference + by_link)
    assert expected == (14 * 6000 - 500 + 2500 + 1200) * 100

    spend = selectors.contract_spend(acme, today=TODAY)
    assert spend.spend_pence == expected
    rules = {r.rule: (r.spend_pence, r.payments) for r in spend.rules}
    assert rules[selectors.RULE_SUPPLIER] == (sum(p.pence for p in by_dates), len(by_dates))
    assert rules[selectors.RULE_REFERENCE] == (250_000, 1)
    assert rules[selectors.RULE_LINK] == (120_000, 1)
    assert spend.percent_of_value == round(Decimal(expected) / 10_000_000 * 100)
    months: dict[date, int] = {}
    for p in by_dates + by_reference + by_link:
        months[p.day.replace(day=1)] = months.get(p.day.replace(day=1), 0) + p.pence
    assert [(m.period, m.spend_pence) for m in spend.months] == sorted(months.items())
    assert spend.months[-1].cumulative_pence == expected
    years: dict[int, int] = {}
    for p in by_dates + by_reference + by_link:
        years[fy_of(p.day)] = years.get(fy_of(p.day), 0) + p.pence
    assert [(y.period, y.spend_pence) for y in spend.years] == sorted(years.items())

    # The payments themselves, for the payment duties: each says which rule matched it.
    rows = selectors.payments_for_contract(acme, today=TODAY)
    assert {
        r.invoice_number: r.matched_by for r in rows if r.supplier.supplier_number != "S100"
    } == {
        "B1": selectors.RULE_REFERENCE,
        "G-LINK": selectors.RULE_LINK,
    }
    # Acme's early payment (before the start) is not the contract's.
    assert "A-early" not in {r.invoice_number for r in rows}


def test_projection_at_the_last_twelve_months_rate(ledger: None) -> None:
    acme = Contract.objects.get(reference="C-ACME")
    spend = selectors.contract_spend(acme, today=TODAY)
    projection = spend.projection
    assert projection is not None
    # The rate: June 2024 to May 2025, the twelve whole months before June 2025.
    window = [
        p
        for p in ledger_rows()
        if date(2024, 6, 1) <= p.day < date(2025, 6, 1)
        and (p.supplier == "S100" or p.order == "C-ACME" or p.invoice == "G-LINK")
        and p.day >= date(2024, 4, 15)
    ]
    rate = Decimal(sum(p.pence for p in window)) / 12
    assert (projection.rate_from, projection.rate_to) == (date(2024, 6, 1), date(2025, 5, 1))
    assert projection.rate_pence == rate
    remaining = 10_000_000 - spend.spend_pence
    days = (Decimal(remaining) / rate * Decimal("365.25") / 12).to_integral_value(ROUND_CEILING)
    assert projection.reached_on == TODAY + timedelta(days=int(days))
    assert projection.reached_on < date(2026, 4, 14)
    assert "before the contract ends on 14 April 2026" in projection.warning
    months_left = Decimal((date(2026, 4, 14) - TODAY).days) / (Decimal("365.25") / 12)
    assert projection.spend_at_end_pence == spend.spend_pence + int(
        (rate * months_left).quantize(Decimal(1))
    )


def test_spend_past_the_value_warns(tmp_path: Path, ledger: None) -> None:
    acme = Contract.objects.get(reference="C-ACME")
    Contract.objects.filter(pk=acme.pk).update(awarded_value=Decimal("50000.00"))
    acme.refresh_from_db()
    spend = selectors.contract_spend(acme, today=TODAY)
    over = Decimal(spend.spend_pence - 5_000_000) / 100
    assert spend.projection is not None
    assert spend.projection.warning.startswith(
        f"Spend has passed the awarded value by £{over:,.2f}"
    )
    assert spend.projection.reached_on is None


def test_a_contract_with_little_history_is_not_projected(tmp_path: Path, ledger: None) -> None:
    acme = Contract.objects.get(reference="C-ACME")
    spend = selectors.contract_spend(acme, today=date(2024, 6, 10))
    assert spend.projection is not None
    assert spend.projection.reached_on is None
    assert "too few to project from" in spend.projection.note


def off_contract_expected(fy: int, category: str | None = None) -> dict[str, int]:
    """Off-contract spend per supplier number, worked out from the rows and the register as
    written: registered contracts cover their supplier between start and (early) end."""
    covered = {
        "S100": (date(2024, 4, 15), date(2026, 4, 14)),
        "S400": (date(2024, 1, 1), date(2024, 9, 30)),  # ended early
    }  # C-EPS is a draft: it covers nothing
    totals: dict[str, int] = {}
    for p in ledger_rows():
        if fy_of(p.day) != fy or (category and p.code != category):
            continue
        if p.order == "C-ACME" or p.invoice == "G-LINK":
            continue
        span = covered.get(p.supplier)
        if span and span[0] <= p.day <= span[1]:
            continue
        totals[p.supplier] = totals.get(p.supplier, 0) + p.pence
    return totals


def test_off_contract_spend_over_the_threshold(ledger: None) -> None:
    expected = off_contract_expected(2024)
    assert expected == {
        "S100": 700_000,
        "S200": 600_000,
        "S300": 450_000,
        "S400": 2_000_000,
        "S500": 800_000,
    }
    found = selectors.spend_without_contract(fy=2024)
    assert found.threshold_pence == 500_000
    listed = [(r.supplier.supplier_number, r.spend_pence) for r in found.suppliers]
    assert listed == sorted(
        ((s, t) for s, t in expected.items() if t >= 500_000), key=lambda item: -item[1]
    )
    assert found.total_pence == sum(t for t in expected.values() if t >= 500_000)

    lower = selectors.spend_without_contract(fy=2024, threshold_pence=400_000)
    assert {r.supplier.supplier_number for r in lower.suppliers} == set(expected)

    # By category: only professional services spend counts, against the threshold.
    from spend.models import Category

    professional = Category.objects.get(rules__account_prefix=PROFESSIONAL[:3])
    by_category = selectors.spend_without_contract(
        fy=2024, threshold_pence=100_000, category=professional.pk
    )
    expected_professional = off_contract_expected(2024, PROFESSIONAL)
    assert [(r.supplier.supplier_number, r.spend_pence) for r in by_category.suppliers] == sorted(
        expected_professional.items(), key=lambda item: -item[1]
    )
    assert by_category.by_category[0].name == professional.name


def test_off_contract_drill_down_adds_up_to_the_figure(ledger: None) -> None:
    from spend.models import Supplier

    expected = off_contract_expected(2024)
    for number in ("S100", "S200", "S400"):
        supplier = Supplier.objects.get(supplier_number=number)
        totals = spend_selectors.payments_total(
            spend_selectors.PaymentFilters(fy=2024, supplier=supplier.pk, off_contract=True)
        )
        assert totals.total_pence == expected[number]


def test_nothing_is_off_contract_in_a_year_the_contracts_cover(ledger: None) -> None:
    assert off_contract_expected(2025) == {}
    assert selectors.spend_without_contract(fy=2025, threshold_pence=1).suppliers == []


def test_status_from_dates(tmp_path: Path) -> None:
    today = date(2025, 6, 15)
    cases = {
        "LIVE": ("2024-01-01", "2026-01-01", ""),
        "ENDING": ("2024-01-01", "2025-12-15", ""),  # six months from 15 June 2025, to the day
        "LIVE-2": ("2024-01-01", "2025-12-16", ""),
        "EXPIRED": ("2023-01-01", "2025-06-14", ""),
        "LAST-DAY": ("2023-01-01", "2025-06-15", ""),
        "EARLY": ("2023-01-01", "2027-01-01", "2025-03-01"),
        "LATER": ("2025-07-01", "2027-01-01", ""),
        "DRAFT": ("2024-01-01", "2026-01-01", ""),
        "OPEN": ("2024-01-01", "", ""),  # no end date recorded
    }
    rows = [
        register_row(
            ref,
            f"{ref} Ltd",
            **{"Award date": start, "Start date": start, "End date": end or "2030-01-01"},
        )
        for ref, (start, end, _) in cases.items()
    ]
    services.register_import(path=write_csv(tmp_path / "r.csv", rows))
    Contract.objects.filter(reference="DRAFT").update(status=Contract.Status.DRAFT)
    Contract.objects.filter(reference="EARLY").update(ended_on=date(2025, 3, 1))
    Contract.objects.filter(reference="OPEN").update(end_date=None)  # as from Contracts Finder
    expected = {
        "LIVE": "Live",
        "ENDING": "Ending within 6 months",
        "LIVE-2": "Live",
        "EXPIRED": "Expired",
        "LAST-DAY": "Ending within 6 months",
        "EARLY": "Ended early",
        "LATER": "Not yet started",
        "DRAFT": "Draft",
        "OPEN": "Live",
    }
    listed = {c.reference: getattr(c, "live_status") for c in selectors.contracts_list(today)}  # noqa: B009  (an annotation)
    assert listed == expected
    for contract in Contract.objects.all():
        assert selectors.contract_live_status(contract, today) == expected[contract.reference]
    # Soonest end first; no end date last.
    order = [c.reference for c in selectors.contracts_list(today)]
    ends = {ref: end for ref, (_, end, _) in cases.items()}
    assert order == sorted(cases, key=lambda ref: (ends[ref] == "", ends[ref], ref))


def test_a_new_link_or_edit_changes_the_figures_at_once(ledger: None) -> None:
    """The figures are cached until the ledger or anything the rules read changes."""
    from spend.models import Payment

    acme = Contract.objects.get(reference="C-ACME")
    before = selectors.contract_spend(acme, today=TODAY).spend_pence
    off_before = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    gamma = {r.supplier.supplier_number: r.spend_pence for r in off_before.suppliers}["S300"]
    services.payment_link(
        contract=acme, payment=Payment.objects.get(invoice_number="G2"), reason="", user=None
    )
    assert selectors.contract_spend(acme, today=TODAY).spend_pence == before + 450_000
    off_after = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    assert "S300" not in {r.supplier.supplier_number for r in off_after.suppliers}
    assert gamma == 450_000
    Contract.objects.filter(pk=acme.pk).update(ended_on=date(2024, 12, 31))
    acme.refresh_from_db()
    after_end = selectors.contract_spend(acme, today=TODAY).spend_pence
    paid_after_end = sum(
        p.pence for p in ledger_rows() if p.supplier == "S100" and p.day > date(2024, 12, 31)
    )
    assert after_end == before + 450_000 - paid_after_end


def test_a_rate_that_would_take_a_century_gives_no_date(ledger: None) -> None:
    acme = Contract.objects.get(reference="C-ACME")
    Contract.objects.filter(pk=acme.pk).update(awarded_value=Decimal("9000000000.00"))
    acme.refresh_from_db()
    projection = selectors.contract_spend(acme, today=TODAY).projection
    assert projection is not None
    assert projection.reached_on is None
    assert "would not be reached for 100 years" in projection.note


def test_the_payments_under_a_contract_are_the_ones_its_rules_match(
    tmp_path: Path, ledger: None
) -> None:
    """The drill-down of a contract's payments lists each payment its rules match, every one
    of its supplier's within its dates, less a payment an officer linked to another contract;
    a supplier known by company number alone (the ledger enriched) is matched by it."""
    from spend.models import Payment, Supplier
    from suppliers.quality import supplier_quality_update

    acme = Contract.objects.get(reference="C-ACME")
    start, end = date(2024, 4, 15), date(2026, 4, 14)
    by_dates = {p.invoice for p in ledger_rows() if p.supplier == "S100" and start <= p.day}
    expected = {
        **dict.fromkeys(by_dates, selectors.RULE_SUPPLIER),
        "B1": selectors.RULE_REFERENCE,
        "G-LINK": selectors.RULE_LINK,
    }
    assert all(p.day <= min(end, TODAY) for p in ledger_rows())

    def listed(contract: Contract) -> dict[str, str]:
        rows = selectors.payments_for_contract(contract, today=TODAY)
        return {r.invoice_number: r.matched_by for r in rows}

    assert listed(acme) == expected
    # An officer links one of Acme's monthly payments to Delta's contract: it moves there.
    delta = Contract.objects.get(reference="C-DELTA")
    services.payment_link(
        contract=delta, payment=Payment.objects.get(invoice_number="A3"), reason="", user=None
    )
    del expected["A3"]
    assert listed(acme) == expected
    assert listed(delta)["A3"] == selectors.RULE_LINK

    # Gamma's contract names it by company number only, once the ledger has that number.
    gamma = Supplier.objects.get(supplier_number="S300")
    supplier_quality_update(
        supplier=gamma,
        size_band_override="",
        sme="auto",
        vcfs="auto",
        company_number="01234567",
        vat_number="",
    )
    row = register_row(
        "C-GAMMA",
        "Gamma Supplies",
        **{
            "Company number": "01234567",
            "Award date": "2024-03-01",
            "Start date": "2024-04-01",
            "End date": "2026-03-31",
        },
    )
    services.register_import(path=write_csv(tmp_path / "gamma.csv", [row]))
    gamma_contract = Contract.objects.get(reference="C-GAMMA")
    # G2 by supplier and dates; G-LINK is linked to C-ACME, so not Gamma's contract's.
    assert listed(gamma_contract) == {"G2": selectors.RULE_SUPPLIER}
    g2 = next(p.pence for p in ledger_rows() if p.invoice == "G2")
    assert selectors.contract_spend(gamma_contract, today=TODAY).spend_pence == g2


def test_the_contract_page_names_each_rule_and_the_value_remaining(
    client: Client, officer, ledger: None
) -> None:
    """The page says how each payment was matched, in the rules' own words, with the count
    and the sum, and what is left of the awarded value: what an officer checks a figure by."""
    from django.urls import reverse

    from portal.formatting import pounds_pence

    acme = Contract.objects.get(reference="C-ACME")
    start, end = date(2024, 4, 15), date(2026, 4, 14)
    by_dates = [p for p in ledger_rows() if p.supplier == "S100" and start <= p.day <= end]
    by_reference = [p for p in ledger_rows() if p.order == "C-ACME"]
    by_link = [p for p in ledger_rows() if p.invoice == "G-LINK"]
    client.force_login(officer)
    page = client.get(reverse("contracts:detail", args=[acme.pk])).content.decode()
    for words, paid in (
        ("linked by an officer", by_link),
        ("contract or purchase order reference on the payment", by_reference),
        ("supplier and contract dates", by_dates),
    ):
        count = f"{len(paid)} payment{'s' if len(paid) != 1 else ''}"
        assert (
            f"<strong>{words}</strong> ({count}, {pounds_pence(sum(p.pence for p in paid))})"
            in page
        )
    spent = sum(p.pence for p in by_dates + by_reference + by_link)
    remaining = 10_000_000 - spent  # £100,000.00 awarded
    assert (
        '<dt class="govuk-summary-list__key">Value remaining</dt>'
        f'<dd class="govuk-summary-list__value">{pounds_pence(remaining)}</dd>'
    ) in page


# (reference, start, end): whole months, part months at either end, no whole month, two days,
# and across the financial year's end.
BOUNDARY_CONTRACTS = [
    ("B-1ST", date(2024, 4, 1), date(2024, 6, 30)),
    ("B-2ND", date(2024, 4, 2), date(2024, 6, 1)),
    ("B-LAST", date(2024, 4, 30), date(2024, 5, 31)),
    ("B-INSIDE", date(2024, 5, 10), date(2024, 5, 20)),
    ("B-TWO-DAYS", date(2024, 5, 15), date(2024, 5, 16)),
    ("B-FY", date(2024, 3, 28), date(2024, 4, 3)),
]


def test_spend_by_month_counts_every_day_of_the_contracts_dates(tmp_path: Path) -> None:
    """A supplier paid every day: each contract's spend by month and year (and the running
    totals the page shows) is the payments from its first day to its last, inclusive, however
    its dates fall in their months."""
    from tests.ledger import Line, import_lines

    first = date(2024, 3, 20)
    days = [first + timedelta(days=n) for n in range(120)]
    # A different amount each day, so a day counted twice or missed shows.
    paid = {day: 100 + n for n, day in enumerate(days)}
    import_lines(
        tmp_path,
        [
            Line(n + 1, "D1", f"{pence / 100:.2f}", day)
            for n, (day, pence) in enumerate(paid.items())
        ],
    )
    for reference, start, end in BOUNDARY_CONTRACTS:
        contract = make_contract(reference, "D1", start, end)
        months: dict[date, int] = {}
        years: dict[int, int] = {}
        for day, pence in paid.items():
            if start <= day <= end:
                months[day.replace(day=1)] = months.get(day.replace(day=1), 0) + pence
                years[fy_of(day)] = years.get(fy_of(day), 0) + pence
        spend = selectors.contract_spend(contract, today=TODAY)
        running = [sum(list(months.values())[: i + 1]) for i in range(len(months))]
        assert [(m.period, m.spend_pence, m.cumulative_pence) for m in spend.months] == [
            (m, p, r) for (m, p), r in zip(sorted(months.items()), running, strict=True)
        ], reference
        running = [sum(list(years.values())[: i + 1]) for i in range(len(years))]
        assert [(y.period, y.spend_pence, y.cumulative_pence) for y in spend.years] == [
            (y, p, r) for (y, p), r in zip(sorted(years.items()), running, strict=True)
        ], reference
        assert spend.spend_pence == sum(months.values())
    assert len(years) == 2  # B-FY's March and April are in 2023/24 and 2024/25
