"""The site-wide search: suppliers by name, supplier or company number; contracts by
reference or title; payments by invoice or payment number, an exact invoice number answered
first with its date, amount and status; roles respected; the number lookups use the indexes."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from contracts import services as contract_services
from portal.models import Job, User
from portal.roles import Role
from spend import selectors
from spend.models import Payment, Supplier
from tests.conftest import make_user
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import Line, import_lines
from tests.payments.ledger import Row, import_rows

pytestmark = pytest.mark.django_db

# The extract writes invoice INV-<n> and payment (check) number 7<n, six digits>.
LINES = [
    Line(1, "100", "250.00", dt.date(2024, 5, 3), name="Acme Waste Ltd"),
    Line(12, "100", "1234.56", dt.date(2024, 6, 7), name="Acme Waste Ltd"),
    Line(13, "200", "99.00", dt.date(2024, 6, 8), name="Brightside Care"),
    Line(40, "300", "500.00", dt.date(2024, 7, 1), name="Cobalt Roads"),
]
VOIDED = [Line(40, "300", "500.00", dt.date(2024, 7, 1), name="Cobalt Roads", status="VOIDED")]


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    import_lines(tmp_path, LINES, "ledger.csv")
    import_lines(tmp_path, VOIDED, "voids.csv")
    Supplier.objects.filter(supplier_number="200").update(company_number="01234567")


@pytest.fixture
def officer_client(client: Client) -> Client:
    client.force_login(make_user(Role.PROCUREMENT_OFFICER))
    return client


def _search(client: Client, text: str) -> str:
    response = client.get("/search/", {"q": text})
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, heading: str) -> str:
    return html.split(f'<h2 class="govuk-heading-m">{heading}', 1)[1].split("<h2", 1)[0]


def test_an_exact_invoice_number_answers_has_it_been_paid(
    ledger: None, officer_client: Client
) -> None:
    line = LINES[1]
    for typed in ("INV-12", "inv-12", " INV-12 "):
        html = _search(officer_client, typed)
        assert f"Invoice INV-12: paid on {line.day:%-d %B %Y}" in html
        answer = html.split("Invoice INV-12: paid on", 1)[1].split("</dl>", 1)[0]
        assert f"£{Decimal(line.pounds):,.2f}" in answer
        assert "Acme Waste Ltd" in answer
        assert f"7{line.payment:06d}" in answer  # its payment number


def test_a_voided_payment_is_not_shown_as_paid(ledger: None, officer_client: Client) -> None:
    html = _search(officer_client, "INV-40")
    assert "Invoice INV-40: payment voided" in html
    assert "paid on" not in html


def test_numbers_match_from_their_start(ledger: None, officer_client: Client) -> None:
    html = _search(officer_client, "INV-1")
    assert "Invoice INV-1: paid on" in html  # the exact one, at the top
    others = _section(html, "Payments")
    expected = {f"INV-{line.payment}" for line in LINES if str(line.payment).startswith("1")}
    expected -= {"INV-1"}
    assert {f"INV-{n}" for n in (12, 13)} == expected
    for invoice in expected:
        assert f">{invoice}<" in others
    assert ">INV-40<" not in others
    # By payment number, exactly.
    html = _search(officer_client, "7000013")
    assert ">INV-13<" in _section(html, "Payments")
    assert "Payments (1)" in html


def test_suppliers_by_name_number_or_company_number(ledger: None, officer_client: Client) -> None:
    for typed, expected in (
        ("acme", "Acme Waste Ltd"),
        ("200", "Brightside Care"),
        ("01234567", "Brightside Care"),
    ):
        suppliers = _section(_search(officer_client, typed), "Suppliers")
        assert expected in suppliers, typed
        assert "Cobalt Roads" not in suppliers


def test_contracts_by_reference_or_title(tmp_path: Path, officer_client: Client) -> None:
    rows = [
        register_row("LCC-ROADS-1", "Cobalt Roads", Title="Highway resurfacing"),
        register_row("LCC-CARE-2", "Brightside Care", Title="Home care"),
    ]
    contract_services.register_import(path=write_csv(tmp_path / "register.csv", rows))
    contracts = _section(_search(officer_client, "roads-1"), "Contracts")
    assert "LCC-ROADS-1" in contracts
    assert "LCC-CARE-2" not in contracts
    contracts = _section(_search(officer_client, "home care"), "Contracts")
    assert "LCC-CARE-2" in contracts
    assert "Contracts (1)" in _search(officer_client, "home care")


def test_roles_the_public_gets_nothing(ledger: None, client: Client) -> None:
    response = client.get("/search/", {"q": "INV-12"})
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
    assert 'role="search"' not in client.get("/").content.decode()
    client.force_login(make_user(Role.COUNCILLOR))
    html = _search(client, "INV-12")
    assert "Invoice INV-12: paid on" in html
    assert 'role="search"' in client.get("/").content.decode()  # the header's search
    no_role = User.objects.create_user(email="nobody@example.gov.uk", password="x" * 20)
    client.force_login(no_role)
    assert client.get("/search/", {"q": "INV-12"}).status_code == 403


def test_an_empty_search_says_what_to_enter(officer_client: Client) -> None:
    html = _search(officer_client, "  ")
    assert "Enter a supplier, contract, invoice number or payment number" in html
    assert "govuk-error-summary" in html


@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (
            lambda: Payment.objects.exclude(invoice_number="").filter(invoice_number="X-1"),
            "invoice",
        ),
        (lambda: selectors_prefix("invoice_number"), "invoice"),
        (lambda: selectors_prefix("payment_reference"), "payment"),
    ],
)
def test_number_lookups_can_use_their_indexes(ledger: None, queryset: object, index: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset().explain()  # type: ignore[operator]
    assert f"spend_pay_{index}_no" in plan, plan


def selectors_prefix(column: str) -> object:
    from django.db.models import Q

    return Payment.objects.filter(Q(**{f"{column}__startswith": "INV"}) & ~Q(**{column: ""}))


def test_the_selector_lists_exact_invoice_matches_apart(ledger: None) -> None:
    found = selectors.payments_by_number("INV-12")
    assert [p.invoice_number for p in found.exact_invoice] == ["INV-12"]
    assert found.others == []
    assert selectors.payments_by_number("IN").others == []  # too short for a prefix


def test_number_search_lists_20_newest_first_in_either_case_and_says_when_there_are_more(
    tmp_path: Path,
) -> None:
    def day(n: int) -> dt.date:
        return dt.date(2024, 4, 1) + dt.timedelta(days=n)

    # 21 lines of invoice ABC-100, 20 invoices whose numbers start with it, 21 XYZ-5nn.
    rows = [Row(n, "S1", "ABC-100", day(n), day(n), 1000) for n in range(1, 22)]
    rows += [Row(n, "S1", f"ABC-100-{n}", day(n), day(n), 1000) for n in range(22, 42)]
    rows += [Row(n, "S2", f"XYZ-5{n:02d}", day(n), day(n), 1000) for n in range(50, 71)]
    import_rows(tmp_path, rows)

    exact = selectors.payments_by_number("ABC-100")
    assert len(exact.exact_invoice) == 20
    assert {p.invoice_number for p in exact.exact_invoice} == {"ABC-100"}
    # The others: the 20 prefixed invoices and the 21st line of the exact one; 20 listed.
    assert len(exact.others) == 20
    assert exact.more
    assert selectors.payments_by_number("abc-100").others == exact.others  # typed in lower case

    xyz = selectors.payments_by_number("XYZ")  # three characters are enough for a prefix
    newest = sorted((r for r in rows if r.invoice.startswith("XYZ")), key=lambda r: r.paid)
    assert [p.invoice_number for p in xyz.others] == [r.invoice for r in reversed(newest)][:20]
    assert xyz.more
    assert not selectors.payments_by_number("XYZ", limit=21).more  # exactly the limit: no more
    assert selectors.payments_by_number("XY").others == []
    # Payment numbers (7 and the line's five digits) by their start, or whole however short.
    by_payment = selectors.payments_by_number("70005")
    assert {p.payment_reference for p in by_payment.others} == {f"7{n:05d}" for n in range(50, 60)}
    Payment.objects.filter(payment_reference="700070").update(payment_reference="77")
    assert [p.invoice_number for p in selectors.payments_by_number("77").others] == ["XYZ-570"]
    assert selectors.payments_by_number("  ") == selectors.PaymentsByNumber([], [], False)


def test_the_categories_page_reads_the_latest_recategorise_job() -> None:
    older = Job.objects.create(kind="spend.recategorise")
    newer = Job.objects.create(kind="spend.recategorise")
    Job.objects.create(kind="spend.import")
    Job.objects.filter(pk=older.pk).update(created_at=newer.created_at - dt.timedelta(hours=1))
    assert selectors.latest_recategorise_job() == newer
