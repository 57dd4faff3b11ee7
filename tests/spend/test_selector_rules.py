"""The spend selectors behind the drill-down, a supplier's sites and the published file's
redaction, on a ledger the test writes: every expected figure is worked out here from the
lines, not read from the selectors."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import AwardedSupplier, Contract
from portal.locality import LOCALITY_LABELS, LocalityClass
from spend import selectors, services
from spend.models import ImportBatch, Payment, Supplier, SupplierSite
from spend.selectors import PaymentFilters
from tests.ledger import HOME, UK, Line, import_lines

pytestmark = pytest.mark.django_db

# Supplier 100 is paid at two sites over two years, with one payment voided; supplier 200 once.
LINES = [
    Line(1, "100", "1200.50", dt.date(2023, 4, 30), postcode=HOME),
    Line(2, "100", "75.25", dt.date(2023, 5, 1), postcode=HOME),
    Line(3, "100", "310.00", dt.date(2023, 5, 31), postcode=UK),
    Line(4, "100", "999.99", dt.date(2023, 5, 15), postcode=HOME, status="VOIDED"),
    Line(5, "100", "42.00", dt.date(2023, 6, 1), postcode=UK),
    Line(6, "100", "18.40", dt.date(2023, 12, 31), postcode=HOME),
    Line(7, "100", "64.10", dt.date(2024, 1, 1), postcode=HOME),
    Line(8, "100", "500.00", dt.date(2024, 4, 2), postcode=HOME),
    Line(9, "200", "88.80", dt.date(2023, 5, 20), postcode=UK, name="Bolton Care CIC"),
]
SPEND = [line for line in LINES if line.status != "VOIDED"]


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    import_lines(tmp_path, LINES)


def _invoices(filters: PaymentFilters) -> set[str]:
    return set(selectors.payments(filters).values_list("invoice_number", flat=True))


def _expected(lines: list[Line]) -> set[str]:
    return {f"INV-{line.payment}" for line in lines}


def _site_code(postcode: str) -> str:
    return "SITE-" + postcode.replace(" ", "")  # how tests/ledger.py names a line's site


def test_a_suppliers_sites_show_the_spend_paid_at_each(ledger: None) -> None:
    supplier = Supplier.objects.get(supplier_number="100")
    sites = selectors.supplier_sites(supplier.pk)
    # Ordered by site code; the voided payment is no spend.
    expected = sorted({_site_code(line.postcode) for line in LINES if line.supplier == "100"})
    assert [s.site_code for s in sites] == expected
    for site in sites:
        paid = [
            p for p in SPEND if p.supplier == "100" and _site_code(p.postcode) == site.site_code
        ]
        assert site.total_pence == sum(line.pence for line in paid)
        assert site.payments == len(paid)
        assert site.postcode == paid[0].postcode
        record = SupplierSite.objects.get(pk=site.site_id)
        assert site.locality_class == record.locality_class
        assert site.locality_label == LOCALITY_LABELS[LocalityClass(record.locality_class)]
    by_code = {s.site_code: s for s in sites}
    assert by_code[_site_code(HOME)].locality_class == LocalityClass.HOME
    assert by_code[_site_code(UK)].locality_class == LocalityClass.UK


def test_a_suppliers_sites_in_one_year_count_only_that_years_payments(ledger: None) -> None:
    supplier = Supplier.objects.get(supplier_number="100")
    for fy in (2023, 2024):
        sites = {s.site_code: s for s in selectors.supplier_sites(supplier.pk, fy)}
        for code, site in sites.items():
            paid = [
                p
                for p in SPEND
                if p.supplier == "100" and p.fy == fy and _site_code(p.postcode) == code
            ]
            assert (site.total_pence, site.payments) == (sum(p.pence for p in paid), len(paid))
    # In 2024-25 the UK site was paid nothing: it is listed with nothing, not left out.
    uk_2024 = {s.site_code: s for s in selectors.supplier_sites(supplier.pk, 2024)}[_site_code(UK)]
    assert (uk_2024.total_pence, uk_2024.payments) == (0, 0)


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        (dt.date(2023, 5, 1), dt.date(2023, 5, 1), dt.date(2023, 5, 31)),
        (dt.date(2023, 5, 17), dt.date(2023, 5, 1), dt.date(2023, 5, 31)),  # any day names it
        (dt.date(2023, 12, 1), dt.date(2023, 12, 1), dt.date(2023, 12, 31)),  # into January
        (dt.date(2023, 4, 1), dt.date(2023, 4, 1), dt.date(2023, 4, 30)),
    ],
)
def test_a_months_payments_run_from_its_first_day_to_its_last(
    ledger: None, month: dt.date, first: dt.date, last: dt.date
) -> None:
    wanted = [line for line in SPEND if first <= line.day <= last]
    assert wanted  # each month chosen has payments on or next to its edges
    assert _invoices(PaymentFilters(month=month)) == _expected(wanted)


def test_the_drill_down_filters_each_narrow_to_their_payments(ledger: None) -> None:
    supplier = Supplier.objects.get(supplier_number="200")
    assert _invoices(PaymentFilters()) == _expected(SPEND)
    assert _invoices(PaymentFilters(fy=2023)) == _expected([p for p in SPEND if p.fy == 2023])
    assert _invoices(PaymentFilters(supplier=supplier.pk)) == _expected(
        [p for p in SPEND if p.supplier == "200"]
    )
    assert _invoices(PaymentFilters(locality=LocalityClass.UK)) == _expected(
        [p for p in SPEND if p.postcode == UK]
    )
    site = SupplierSite.objects.get(supplier__supplier_number="100", postcode=UK)
    assert _invoices(PaymentFilters(site=site.pk)) == _expected(
        [p for p in SPEND if p.supplier == "100" and p.postcode == UK]
    )
    # A category narrows to the payments the import put in it; "none" to those in none.
    categorised = Payment.objects.filter(invoice_number="INV-1").values_list("category_id")
    [(category,)] = categorised
    inside = set(
        Payment.objects.filter(category_id=category, is_spend=True).values_list(
            "invoice_number", flat=True
        )
    )
    assert inside
    assert _invoices(PaymentFilters(category=str(category))) == inside
    Payment.objects.filter(invoice_number="INV-2").update(category=None)
    assert _invoices(PaymentFilters(category="none")) == {"INV-2"}
    # An invoice number finds its payment whatever its case; part of one finds nothing.
    assert _invoices(PaymentFilters(number="inv-3")) == {"INV-3"}
    assert _invoices(PaymentFilters(number="INV-")) == set()
    # The voided payment is no spend, even found by its number.
    assert _invoices(PaymentFilters(number="INV-4")) == set()


def test_the_drill_down_total_adds_up_the_filtered_payments(ledger: None) -> None:
    may = [p for p in SPEND if p.day.year == 2023 and p.day.month == 5]
    totals = selectors.payments_total(PaymentFilters(month=dt.date(2023, 5, 1)))
    assert (totals.total_pence, totals.payments) == (sum(p.pence for p in may), len(may))
    nothing = selectors.payments_total(PaymentFilters(number="no-such-invoice"))
    assert (nothing.total_pence, nothing.payments) == (0, 0)


def test_the_imports_page_lists_every_batch(tmp_path: Path) -> None:
    first = import_lines(tmp_path / "a", LINES[:2])
    second = import_lines(tmp_path / "b", LINES[2:4], name="second.csv")
    batches = {b.pk: b for b in selectors.import_batches()}
    assert set(batches) == {first.pk, second.pk}
    assert batches[second.pk].job_id == second.job_id


INDIVIDUAL = re.compile(selectors.DEFAULT_INDIVIDUAL_NAME_PATTERN, re.IGNORECASE)


@pytest.mark.parametrize(
    ("number", "name", "pattern", "individual"),
    [
        (selectors.REDACTED_SUPPLIER_NUMBER, "Acme Waste Ltd", None, True),
        ("100", "  Redacted PERSONAL data ", None, True),
        ("100", "Mr A Smith", INDIVIDUAL, True),
        ("100", "mrs. Jones", INDIVIDUAL, True),
        ("100", " Dr  Patel", INDIVIDUAL, True),  # leading spaces are trimmed first
        ("100", "Mr A Smith", None, False),  # a council may turn the name rule off
        ("100", "Mrsmith Haulage Ltd", INDIVIDUAL, False),  # a title needs a space after it
        ("100", "Drake Ltd", INDIVIDUAL, False),
        ("100", "Acme Waste Ltd", INDIVIDUAL, False),
        ("NK-REDACTED2", "Acme Waste Ltd", INDIVIDUAL, False),  # the whole number, not a prefix
    ],
)
def test_who_counts_as_an_individual_in_the_published_file(
    number: str, name: str, pattern: re.Pattern[str] | None, individual: bool
) -> None:
    assert selectors.is_individual(number, name, pattern) is individual


def test_the_warm_up_leaves_each_years_supplier_totals_ready(
    ledger: None, django_assert_max_num_queries: Any
) -> None:
    warmed = selectors.dashboards_warm()
    assert warmed == sorted({line.fy for line in SPEND})[-2:]
    for fy in warmed:
        # Only the summary's version is read: the year's totals were computed by the warm-up.
        with django_assert_max_num_queries(1):
            assert selectors.suppliers_paid(fy) == len({p.supplier for p in SPEND if p.fy == fy})


def test_the_warm_up_computes_the_latest_two_years_opening_figures_and_no_other(
    tmp_path: Path, django_assert_max_num_queries: Any
) -> None:
    # Three years of spend: the pages open on the latest, and the warm-up readies the latest
    # two (each year's supplier count, top 20 and supplier table), not the oldest.
    lines = [*LINES, Line(10, "300", "45.00", dt.date(2022, 9, 1), postcode=HOME)]
    import_lines(tmp_path, lines)
    years = sorted({line.fy for line in lines if line.status != "VOIDED"})
    assert len(years) == 3
    assert selectors.latest_financial_year() == years[-1]
    assert selectors.dashboards_warm() == years[-2:]
    spend = [line for line in lines if line.status != "VOIDED"]
    for fy in years[-2:]:
        in_year = [line for line in spend if line.fy == fy]
        # Only the summary's version is read: the warm-up computed the rest.
        with django_assert_max_num_queries(1):
            assert selectors.suppliers_paid(fy) == len({line.supplier for line in in_year})
        with django_assert_max_num_queries(1):
            top = selectors.top_suppliers(fy)
        assert {s.supplier_number for s in top} == {line.supplier for line in in_year}
        with django_assert_max_num_queries(1):
            assert len(selectors.supplier_spend(fy=fy)) == len({line.supplier for line in in_year})
    # The oldest year was left for its first reader: its supplier totals are read then.
    with CaptureQueriesContext(connection) as oldest:
        paid = selectors.suppliers_paid(years[0])
    assert paid == len({line.supplier for line in spend if line.fy == years[0]})
    assert len(oldest) > 1


def test_an_incomplete_year_names_its_months_without_payments() -> None:
    missing = [dt.date(2023, 5, 1), dt.date(2023, 7, 1)]
    expected = [dt.date(2023, month, 1) for month in range(4, 13)]
    year = selectors.YearCompleteness(2023, expected, missing)
    assert year.missing_text == "May 2023, July 2023"
    assert "no payments for May 2023, July 2023." in year.explanation
    assert not year.complete
    assert year.in_progress  # 9 of its 12 months have begun


def test_a_suppliers_page_and_a_filtered_drill_down_name_the_registers_contracts(
    ledger: None,
) -> None:
    supplier = Supplier.objects.get(supplier_number="100")
    contract = Contract.objects.create(
        reference="LCC-100",
        title="Waste collection",
        department="Environment",
        award_date=dt.date(2023, 4, 1),
        start_date=dt.date(2023, 4, 1),
        end_date=dt.date(2026, 3, 31),
        awarded_value=Decimal("10000.00"),
    )
    AwardedSupplier.objects.create(
        contract=contract, name="Supplier 100", name_key="SUPPLIER 100", supplier_number="100"
    )
    assert selectors.supplier_contracts(supplier) == [contract]
    other = Supplier.objects.get(supplier_number="200")
    assert selectors.supplier_contracts(other) == []
    assert selectors.payments_contract(PaymentFilters(contract=contract.pk)) == contract
    assert selectors.payments_contract(PaymentFilters()) is None
    # The drill-down behind the contract's spend: its supplier's payments within its dates.
    within = [
        line
        for line in SPEND
        if line.supplier == "100" and dt.date(2023, 4, 1) <= line.day <= dt.date(2026, 3, 31)
    ]
    assert _invoices(PaymentFilters(contract=contract.pk)) == _expected(within)
    assert _invoices(PaymentFilters(contract=contract.pk + 1000)) == set()  # no such contract
    # Off-contract: the payments no registered contract covers, supplier 200's here; and a
    # drill-down not asking for that sees every payment, covered or not.
    assert _invoices(PaymentFilters(off_contract=True)) == _expected(
        [line for line in SPEND if line not in within]
    )
    assert _invoices(PaymentFilters()) == _expected(SPEND)


def test_a_supplier_without_a_number_is_given_no_contract_of_a_supplier_without_one(
    ledger: None,
) -> None:
    # A register row whose supplier has no ledger number matches no ledger supplier: one with
    # no number either (a cash payee, say) must not be shown that contract as its own.
    payee = Supplier.objects.create(supplier_number="", name="Cash payee", name_key="CASH PAYEE")
    contract = Contract.objects.create(
        reference="LCC-200",
        title="Grounds maintenance",
        department="Environment",
        award_date=dt.date(2023, 4, 1),
        start_date=dt.date(2023, 4, 1),
        end_date=dt.date(2026, 3, 31),
        awarded_value=Decimal("5000.00"),
    )
    AwardedSupplier.objects.create(
        contract=contract, name="Green Ltd", name_key="GREEN LTD", supplier_number=""
    )
    assert selectors.supplier_contracts(payee) == []


def test_the_pareto_curve_marks_its_fixed_ranks_and_the_last_supplier(tmp_path: Path) -> None:
    # 102 suppliers, supplier 1kkk paid £kkk once, on an account no category rule covers.
    day = dt.date(2023, 6, 1)
    lines = [Line(k, str(1000 + k), f"{k}.00", day, account="99999") for k in range(1, 103)]
    import_lines(tmp_path, lines)
    points = selectors.spend_pareto(2023)
    # The tail page's curve: the top 1, 5, 10, 20, 40 and 100 suppliers, then all of them.
    assert [p.suppliers for p in points] == [1, 5, 10, 20, 40, 100, len(lines)]
    totals = sorted((int(Decimal(line.pounds) * 100) for line in lines), reverse=True)
    assert [p.total_pence for p in points] == [sum(totals[: p.suppliers]) for p in points]
    # Spend no category rule matches is shown as not categorised.
    [only] = selectors.spend_by_category(2023)
    assert (only.category_id, only.name, only.total_pence) == (None, "Not categorised", sum(totals))


def test_the_pareto_curve_marks_every_rank_up_to_50000_at_a_large_councils_scale() -> None:
    """A county pays tens of thousands of suppliers a year: the curve's ranks go on past
    100 (200, 500, then 1,000 to 50,000 in steps of 1, 2 and 5), each a cumulative figure."""
    count = 50_003
    # Supplier k is paid k pence in the year (no ties), in one summary row each; written in
    # SQL, as the import writes them, since 50,000 ORM objects take most of a minute.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO spend_supplier "
            "(supplier_number, name, name_key, company_number, created_at) "
            "SELECT 'P' || k, 'Payee ' || k, 'PAYEE ' || k, '', now() "
            "FROM generate_series(1, %s) AS k",
            [count],
        )
        cursor.execute(
            "INSERT INTO spend_spendsummary (financial_year, month, supplier_id, "
            "locality_class, total_pence, payment_count) "
            "SELECT 2023, DATE '2023-06-01', id, %s, substr(supplier_number, 2)::bigint, 1 "
            "FROM spend_supplier WHERE supplier_number LIKE 'P%%'",
            [LocalityClass.UK.value],
        )
    points = selectors.spend_pareto(2023)
    ranks = [1, 5, 10, 20, 40, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, count]
    assert [p.suppliers for p in points] == ranks
    # The top r suppliers are those paid count, count - 1, ... count - r + 1 pence.
    assert [p.total_pence for p in points] == [sum(range(count - r + 1, count + 1)) for r in ranks]


def test_the_administrators_home_counts_uploads_to_look_at_from_the_last_30_days(
    client: Any, administrator: Any
) -> None:
    """Refused, failed and held uploads of the last 30 days (30 days ago included) are what
    an administrator is asked to look at; older ones, and loaded or withdrawn ones, are not."""
    now = timezone.now()
    status = ImportBatch.Status
    ages = {
        status.REJECTED: [0, 30, 31],
        status.FAILED: [5, 45],
        status.HELD: [29],
        status.LOADED: [1],
        status.WITHDRAWN: [2],
    }
    for state, days in ages.items():
        for age in days:
            ImportBatch.objects.create(
                file_name=f"{state}-{age}.csv", sha256=f"{state}{age}".ljust(64, "0"),
                status=state, created_at=now - dt.timedelta(days=age),
            )  # fmt: skip
    today = timezone.localdate()
    expected = sum(
        1
        for state in (status.REJECTED, status.FAILED, status.HELD)
        for age in ages[state]
        if (today - timezone.localtime(now - dt.timedelta(days=age)).date()).days <= 30
    )
    assert expected == 4  # the three at 0-29 days and the rejected one of 30 days
    client.force_login(administrator)
    page = client.get("/").content.decode()
    found = re.search(
        r"Uploads refused, failed or held in the last 30 days</dt>"
        r'<dd class="govuk-summary-list__value">([^<]+)</dd>',
        page,
    )
    assert found, "no count of uploads to look at on the administrator's home page"
    assert found.group(1).strip() == str(expected)


# The seeded category rules by account prefix (spend migration 0002), as the test means them.
CATEGORY_OF = {"52100": "Waste", "55100": "Adult social care", "99999": "Not categorised"}
YEAR_LINES = [
    # Supplier 100: mostly Waste (two payments in April); supplier 200: mostly care.
    Line(1, "100", "300.00", dt.date(2023, 4, 3), account="52100"),
    Line(2, "100", "200.00", dt.date(2023, 4, 28), account="52100"),
    Line(3, "100", "100.00", dt.date(2023, 6, 1), account="55100"),
    Line(4, "200", "900.00", dt.date(2023, 6, 30), account="55100"),
    Line(5, "200", "50.00", dt.date(2023, 8, 15), account="52100"),
    Line(6, "200", "-20.00", dt.date(2023, 8, 16), account="52100"),  # a credit note
    Line(7, "300", "75.00", dt.date(2023, 9, 1), account="99999"),
    Line(8, "300", "999.00", dt.date(2023, 9, 2), account="52100", status="VOIDED"),
    Line(9, "300", "10.00", dt.date(2023, 4, 10), account="99999"),  # April: two categories
]


def test_a_years_months_categories_and_suppliers_main_categories_add_up_their_payments(
    tmp_path: Path,
) -> None:
    """The overview's month and category tables: each month of April to March with its spend
    and payments (none: 0 and 0), categories biggest first with their payments, and each top
    supplier's main category (where most of its spend went)."""
    import_lines(tmp_path, YEAR_LINES)
    spend = [line for line in YEAR_LINES if line.status != "VOIDED"]
    months = [dt.date(2023 + (m < 4), m, 1) for m in [*range(4, 13), 1, 2, 3]]
    expected_months = [
        (
            month,
            sum(line.pence for line in spend if line.day.replace(day=1) == month),
            sum(1 for line in spend if line.day.replace(day=1) == month),
        )
        for month in months
    ]
    got = [(m.month, m.total_pence, m.payments) for m in selectors.spend_by_month(2023)]
    assert got == expected_months
    assert selectors.redacted_spend(2023) == 0  # no payee redacted: nothing, not a penny

    by_category: dict[str, list[int]] = {}
    for line in spend:
        totals = by_category.setdefault(CATEGORY_OF[line.account], [0, 0])
        totals[0] += line.pence
        totals[1] += 1
    ranked = sorted(by_category.items(), key=lambda item: (-item[1][0], item[0]))
    assert [(c.name, c.total_pence, c.payments) for c in selectors.spend_by_category(2023)] == [
        (name, total, count) for name, (total, count) in ranked
    ]

    main: dict[str, dict[str, int]] = {}
    for line in spend:
        per = main.setdefault(line.supplier, {})
        per[CATEGORY_OF[line.account]] = per.get(CATEGORY_OF[line.account], 0) + line.pence
    top = {s.supplier_number: s.category for s in selectors.top_suppliers(2023)}
    assert top == {number: max(per, key=lambda c: per[c]) for number, per in main.items()}


def test_a_month_that_began_today_without_payments_makes_the_year_incomplete(
    tmp_path: Path,
) -> None:
    import_lines(tmp_path, YEAR_LINES)
    # On 1 October 2023 October has begun: it and the months before without payments
    # (May, July) are missing; November onwards has not begun.
    year = selectors.year_completeness(2023, today=dt.date(2023, 10, 1))
    assert year.months_missing == [dt.date(2023, 5, 1), dt.date(2023, 7, 1), dt.date(2023, 10, 1)]
    assert year.explanation == (
        "2023/24 is incomplete: no payments for May 2023, July 2023, October 2023."
    )
    # On 30 September only May and July are missing; a year of every month so far paid
    # is "the current year" while it runs, and nothing once it is over.
    assert selectors.year_completeness(2023, today=dt.date(2023, 9, 30)).months_missing == [
        dt.date(2023, 5, 1),
        dt.date(2023, 7, 1),
    ]
    assert (
        selectors.year_completeness(2023, today=dt.date(2023, 4, 30)).explanation
        == "2023/24 is the current year: figures to date."
    )
    twelve = [dt.date(2022 + (m < 4), m, 1) for m in [*range(4, 13), 1, 2, 3]]
    assert selectors.YearCompleteness(2022, twelve, []).explanation == ""


def test_the_locality_table_gives_the_years_asked_for_that_have_spend_each_class_its_own(
    tmp_path: Path,
) -> None:
    # 2022 paid only at home, 2023 only elsewhere in the UK; 2024 a single penny whose
    # postcode is unknown, which is all of that year's spend: too little known to say.
    lines = [
        Line(1, "100", "400.00", dt.date(2022, 6, 1), postcode=HOME),
        Line(2, "100", "250.00", dt.date(2023, 6, 1), postcode=UK),
        Line(3, "100", "0.01", dt.date(2024, 6, 1), postcode=""),
    ]
    import_lines(tmp_path, lines)
    # A year asked for with no spend (2021) is left out, not shown as a row of noughts.
    years = selectors.locality_by_year(years=[2021, 2022, 2023, 2024])
    assert [y.fy for y in years] == [2022, 2023, 2024]
    home, uk, penny = years
    assert (home.home_pence, home.region_pence, home.uk_pence, home.unknown_pence) == (
        40000,
        0,
        0,
        0,
    )
    assert (uk.home_pence, uk.region_pence, uk.uk_pence, uk.unknown_pence) == (0, 0, 25000, 0)
    assert home.total_pence == 40000
    assert uk.total_pence == 25000
    assert home.home_share == 100
    assert uk.home_share == 0
    assert penny.total_pence == 1
    assert penny.unknown_pence == 1
    assert penny.undetermined
    assert penny.home_share is None
    assert penny.shown_home_pence is None
    assert [y.fy for y in selectors.locality_by_year(years=[2023])] == [2023]


def test_the_top_suppliers_filter_needs_a_year_and_is_ignored_without_one(ledger: None) -> None:
    by_supplier: dict[str, int] = {}
    for line in SPEND:
        if line.fy == 2023:
            by_supplier[line.supplier] = by_supplier.get(line.supplier, 0) + line.pence
    top = max(by_supplier, key=lambda s: by_supplier[s])
    in_year_top = [line for line in SPEND if line.fy == 2023 and line.supplier == top]
    assert _invoices(PaymentFilters(fy=2023, top=1)) == _expected(in_year_top)
    assert _invoices(PaymentFilters(top=1)) == _expected(SPEND)
    assert _invoices(PaymentFilters(fy=2023)) == _expected([x for x in SPEND if x.fy == 2023])


def test_a_suppliers_months_categories_and_the_supplier_table_add_up_its_payments(
    tmp_path: Path,
) -> None:
    services.category_rule_set(account_prefix="77", category_name="Test care")
    lines = [
        Line(1, "500", "300.00", dt.date(2023, 5, 10), account="77001"),
        Line(2, "500", "100.00", dt.date(2023, 5, 12), account="88001"),  # no rule
        Line(3, "500", "50.00", dt.date(2023, 7, 1), account="77001"),
        Line(4, "600", "100000.00", dt.date(2023, 6, 1), account="88001"),  # the tail's £100k
        Line(5, "700", "99999.99", dt.date(2023, 6, 2), account="88001"),
    ]
    import_lines(tmp_path, lines)
    ids = dict(Supplier.objects.values_list("supplier_number", "pk"))
    months = selectors.supplier_spend_by_month(ids["500"], 2023)
    assert len(months) == 12
    by_month = {m.month: (m.total_pence, m.payments) for m in months}
    assert by_month[dt.date(2023, 5, 1)] == (40000, 2)
    assert by_month[dt.date(2023, 7, 1)] == (5000, 1)
    assert by_month[dt.date(2023, 4, 1)] == (0, 0)  # not paid: nothing, not a penny
    categories = selectors.supplier_spend_by_category(ids["500"], 2023)
    assert [(c.name, c.total_pence, c.payments) for c in categories] == [
        ("Test care", 35000, 2),
        ("Not categorised", 10000, 1),
    ]
    table = {r["supplier_number"]: r for r in selectors.supplier_spend(fy=2023)}
    assert table["500"] == {
        "supplier_id": ids["500"],
        "name": "Supplier 500",
        "supplier_number": "500",
        "total": 45000,
        "payments": 3,
    }
    uncategorised = selectors.supplier_spend(fy=2023, category="none")
    assert {r["supplier_number"]: r["total"] for r in uncategorised} == {
        "500": 10000,
        "600": 100_000_00,
        "700": 99_999_99,
    }
    ranged = selectors.supplier_spend(fy=2023, min_pence=99_999_99, max_pence=100_000_00)
    assert sorted(r["supplier_number"] for r in ranged) == ["600", "700"]
    # The tail's drill-down: suppliers paid under £100k, not at it.
    tail = PaymentFilters(fy=2023, tail=100_000_00)
    assert _invoices(tail) == {"INV-1", "INV-2", "INV-3", "INV-5"}
