"""The contract page's cached figures follow every write the payment-to-contract rules read
(the rules' version, set by database triggers), at once; writes they do not read leave the
cache alone; and the page's query count stays bounded."""

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from django.db.models import Case, F, Value, When
from django.db.models.functions import Concat
from django.test import Client
from django.urls import reverse

from contracts import selectors, services
from contracts.models import AwardedSupplier, Contract, RulesVersion
from portal.formatting import pounds_pence
from spend import services as spend_services
from spend.models import Payment, Supplier
from suppliers import quality
from tests.contracts.conftest import register_row, write_csv
from tests.contracts.ledger import Paid, build_ledger_and_register, ledger_rows, write_spend_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    build_ledger_and_register(tmp_path)


def page_spend(client: Client, contract: Contract) -> str:
    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    found = re.search(r'id="spend-to-date">([^<]+)<', page)
    assert found, "no spend to date on the page"
    return found.group(1)


def acme_spend(
    rows: list[Paid], *, suppliers: set[str], start: date, end: date, linked: set[str]
) -> int:
    """C-ACME's spend by the rules, worked out from the rows: an officer's link, its
    reference, or a payment to one of its suppliers within its dates (nothing else in this
    ledger is linked to, or carries the reference of, another contract)."""
    return sum(
        p.pence
        for p in rows
        if p.invoice in linked
        or p.order == "C-ACME"
        or (p.supplier in suppliers and start <= p.day <= end)
    )


def test_the_contract_page_follows_each_write_the_rules_read_at_once(
    client: Client, officer, ledger: None, tmp_path: Path
) -> None:
    client.force_login(officer)
    acme = Contract.objects.get(reference="C-ACME")
    rows = ledger_rows()
    state = {
        "suppliers": {"S100"},
        "start": date(2024, 4, 15),
        "end": date(2026, 4, 14),
        "linked": {"G-LINK"},
    }

    def shows(**changes: object) -> None:
        state.update(changes)
        expected = acme_spend(rows, **state)  # type: ignore[arg-type]
        assert page_spend(client, acme) == pounds_pence(expected), changes

    shows()
    # The contract's dates (each step below changes the figure, so a stale page fails).
    acme = services.contract_update(
        contract=acme, data={"start_date": date(2024, 4, 1)}, user=officer
    )
    shows(start=date(2024, 4, 1))
    acme = services.contract_end(
        contract=acme, ended_on=date(2024, 12, 31), reason="Ended", user=officer
    )
    shows(end=date(2024, 12, 31))
    # Its awarded suppliers: added, renumbered, removed.
    gamma = services.supplier_add(
        contract=acme, supplier={"name": "Gamma Supplies", "supplier_number": "S300"}, user=None
    )
    shows(suppliers={"S100", "S300"})
    services.supplier_update(supplier=gamma, data={"supplier_number": "S200"}, user=None)
    shows(suppliers={"S100", "S200"})
    services.supplier_remove(supplier=AwardedSupplier.objects.get(pk=gamma.pk), user=None)
    shows(suppliers={"S100"})
    # An officer's links.
    link = services.payment_link(
        contract=acme, payment=Payment.objects.get(invoice_number="G2"), reason="", user=None
    )
    shows(linked={"G-LINK", "G2"})
    services.payment_unlink(link=link, user=None)
    shows(linked={"G-LINK"})
    # A ledger supplier's company number, matching an awarded supplier's (Companies House).
    services.supplier_add(
        contract=acme,
        supplier={"name": "Delta Transport Ltd", "company_number": "01234567"},
        user=None,
    )
    shows()
    quality.supplier_quality_update(
        supplier=Supplier.objects.get(supplier_number="S400"),
        size_band_override="",
        sme="auto",
        vcfs="auto",
        company_number="01234567",
        vat_number="",
    )
    shows(suppliers={"S100", "S400"})
    # The ledger: an import, its withdrawal, and a merge of two suppliers.
    extra = [Paid("S100", "Acme Care Ltd", date(2024, 11, 5), "900.00", invoice="A-late")]
    [batch] = spend_services.import_paths(paths=[write_spend_file(tmp_path / "more.csv", extra)])
    rows = [*rows, *extra]
    shows()
    spend_services.batch_withdraw(batch=batch, user=None, reason="Sent twice")
    rows = rows[:-1]
    shows()
    quality.supplier_merge(
        survivor=Supplier.objects.get(supplier_number="S100"),
        merged=Supplier.objects.get(supplier_number="S300"),
        user=None,
    )
    rows = [replace(p, supplier="S100") if p.supplier == "S300" else p for p in rows]
    shows()


def test_a_register_import_changes_the_off_contract_figures_at_once(
    ledger: None, tmp_path: Path
) -> None:
    before = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    beta = {r.supplier.supplier_number: r.spend_pence for r in before.suppliers}.get("S200")
    # Beta's 2024/25 payments, less the one carrying C-ACME's reference.
    assert beta == sum(
        p.pence
        for p in ledger_rows()
        if p.supplier == "S200" and p.order == "" and date(2024, 4, 1) <= p.day <= date(2025, 3, 31)
    )
    services.register_import(
        path=write_csv(
            tmp_path / "beta.csv",
            [
                register_row(
                    "C-BETA",
                    "Beta Services",
                    **{
                        "Supplier number": "S200",
                        "Start date": "2024-04-01",
                        "End date": "2026-03-31",
                    },
                )
            ],
        )
    )
    after = selectors.spend_without_contract(fy=2024, threshold_pence=1)
    assert "S200" not in {r.supplier.supplier_number for r in after.suppliers}
    assert after.version != before.version


def test_a_write_the_rules_do_not_read_keeps_the_cached_figures(ledger: None) -> None:
    acme = Contract.objects.get(reference="C-ACME")
    version = selectors.spend_without_contract(fy=2024).version
    services.contract_update(contract=acme, data={"title": "Care at home"}, user=None)
    Supplier.objects.filter(supplier_number="S100").update(name="Acme Care Limited")
    assert selectors.spend_without_contract(fy=2024).version == version
    # The admin, or anything else writing the tables, counts as much as a service.
    Contract.objects.filter(pk=acme.pk).update(awarded_value=acme.awarded_value + 1)
    assert selectors.spend_without_contract(fy=2024).version != version


def rules_version() -> int:
    return RulesVersion.objects.get(pk=1).version


def test_a_many_row_update_bumps_the_version_only_when_a_column_the_rules_read_changes(
    ledger: None,
) -> None:
    """The triggers compare a statement's old and new rows as sets (migration 0012): one
    UPDATE of every supplier or contract changes the version only if some row's rules
    columns differ, however many rows it touches and wherever that row is among them."""
    first, second = Supplier.objects.order_by("pk")[:2]
    Supplier.objects.filter(pk=first.pk).update(company_number="01234567")
    Supplier.objects.filter(pk=second.pk).update(company_number="07654321")
    version = rules_version()
    Supplier.objects.update(name=Concat(F("name"), Value(" ")))
    Contract.objects.update(title=Concat(F("title"), Value(".")))
    assert rules_version() == version
    # Two suppliers swap company numbers in one statement: no column's set of values
    # changes, but two rows do, so the version must move.
    Supplier.objects.filter(pk__in=[first.pk, second.pk]).update(
        company_number=Case(When(pk=first.pk, then=Value("07654321")), default=Value("01234567"))
    )
    assert rules_version() != version


# The contract page's queries once its figures are cached: the session and user (3), the
# contract (with whether it has changes, KPIs, failures, notices), the versions (1), its
# suppliers, the social value panel (1 when there is none) and, only when it has any, its
# officers' links.
@pytest.mark.parametrize(("reference", "queries"), [("C-DELTA", 7), ("C-ACME", 8)])
def test_a_contract_page_reads_a_bounded_number_of_queries(
    client: Client, officer, ledger: None, django_assert_max_num_queries, reference, queries
) -> None:
    client.force_login(officer)
    contract = Contract.objects.get(reference=reference)
    assert contract.payment_links.exists() == (reference == "C-ACME")  # only ACME has a link
    url = reverse("contracts:detail", args=[contract.pk])
    assert client.get(url).status_code == 200  # the figures computed and cached
    with django_assert_max_num_queries(queries):
        page = client.get(url)
    assert page.status_code == 200
    assert ("G-LINK" in page.content.decode()) == (reference == "C-ACME")
