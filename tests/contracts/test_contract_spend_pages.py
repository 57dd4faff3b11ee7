"""The pages, export and report that show contract spend, spend with no contract, the live
status and the ledger supplier picker (server-side; the browser tests visit them too)."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import Contract, ContractPaymentLink
from portal.formatting import pounds, pounds_pence
from tests.conftest import downloaded
from tests.contracts.ledger import build_ledger_and_register, ledger_rows
from tests.reports.test_committee_report import pdf_text

pytestmark = pytest.mark.django_db

# The pages work from today; the ledger's figures for 2024/25 do not depend on it.
FY = 2024


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    build_ledger_and_register(tmp_path)


def expected_off_contract() -> dict[str, int]:
    # As tests/contracts/test_contract_spend.py works it out, for 2024/25 and £5,000.
    from tests.contracts.test_contract_spend import off_contract_expected

    return {s: t for s, t in off_contract_expected(FY).items() if t >= 500_000}


def test_contract_page_shows_spend_and_the_rules_that_matched(
    client: Client, officer, ledger: None
) -> None:
    client.force_login(officer)
    acme = Contract.objects.get(reference="C-ACME")
    page = client.get(reverse("contracts:detail", args=[acme.pk])).content.decode()
    expected = sum(
        p.pence
        for p in ledger_rows()
        if p.order == "C-ACME"
        or p.invoice == "G-LINK"
        or (p.supplier == "S100" and p.day >= date(2024, 4, 15))
    )
    assert pounds_pence(expected) in page
    for rule in ("linked by an officer", "contract or purchase order reference", "supplier and"):
        assert rule in page.lower()
    assert "Spend by financial year" in page
    assert "Spend by month" in page
    assert "Invoice" in page
    assert "G-LINK" in page


def test_linking_an_invoice_moves_it_onto_the_contract(
    client: Client, officer, ledger: None
) -> None:
    client.force_login(officer)
    acme = Contract.objects.get(reference="C-ACME")
    url = reverse("contracts:payment-link", args=[acme.pk])
    response = client.post(url, {"invoice_number": "G2", "reason": "Call-off"}, follow=True)
    assert "1 payment of G2 linked" in response.content.decode()
    assert ContractPaymentLink.objects.filter(contract=acme).count() == 2
    response = client.post(url, {"invoice_number": "NOPE", "reason": ""}, follow=True)
    assert "The ledger has no payment with invoice number &#x27;NOPE&#x27;" in (
        response.content.decode()
    )
    assert ContractPaymentLink.objects.filter(contract=acme).count() == 2
    link = ContractPaymentLink.objects.get(payment__invoice_number="G2")
    client.post(reverse("contracts:payment-unlink", args=[acme.pk, link.pk]))
    assert not ContractPaymentLink.objects.filter(pk=link.pk).exists()


def test_councillors_cannot_link(client: Client, councillor, ledger: None) -> None:
    client.force_login(councillor)
    acme = Contract.objects.get(reference="C-ACME")
    response = client.post(
        reverse("contracts:payment-link", args=[acme.pk]), {"invoice_number": "G2"}
    )
    assert response.status_code == 403
    assert ContractPaymentLink.objects.filter(contract=acme).count() == 1


def test_off_contract_page_export_and_drill_down(client: Client, officer, ledger: None) -> None:
    client.force_login(officer)
    url = reverse("contracts:off-contract")
    page = client.get(url, {"fy": str(FY), "threshold": "5000"}).content.decode()
    expected = expected_off_contract()
    for pence in expected.values():
        assert pounds(pence) in page
    assert pounds(sum(expected.values())) in page
    assert "Create a contract" in page
    assert "off_contract=true" in page
    exported = client.get(url, {"fy": str(FY), "threshold": "5000", "_export": "csv"})
    rows = list(csv.DictReader(io.StringIO(downloaded(exported).decode("utf-8-sig"))))
    assert {r["Supplier number"]: r["Spend with no contract"] for r in rows} == {
        s: f"{t / 100:.2f}" for s, t in expected.items()
    }
    # Drill-down: the payments page with the same filter adds up to the same figure.
    from spend.models import Supplier

    delta = Supplier.objects.get(supplier_number="S400")
    drill = client.get(
        reverse("spend:payments"),
        {"fy": str(FY), "supplier": str(delta.pk), "off_contract": "true"},
    ).content.decode()
    assert pounds_pence(expected["S400"]) in drill
    assert "Only payments no registered contract covers" in drill


def test_off_contract_threshold_must_be_a_sum(client: Client, officer, ledger: None) -> None:
    client.force_login(officer)
    page = client.get(reverse("contracts:off-contract"), {"fy": str(FY), "threshold": "lots"})
    text = page.content.decode()
    assert "There is a problem" in text
    assert "Threshold in pounds" in text
    assert "Acme Care" not in text  # no figures from a threshold it could not read


def test_register_status_filter_and_not_recorded(client: Client, officer, ledger: None) -> None:
    client.force_login(officer)
    Contract.objects.filter(reference="C-ACME").update(review_date=None)
    page = client.get(reverse("contracts:list"), {"status": "Ended early"}).content.decode()
    assert "C-DELTA" in page
    assert "C-ACME" not in page
    page = client.get(reverse("contracts:list"), {"status": "Draft"}).content.decode()
    assert "C-EPS" in page
    assert "C-DELTA" not in page
    acme = Contract.objects.get(reference="C-ACME")
    detail = client.get(reverse("contracts:detail", args=[acme.pk])).content.decode()
    assert "Not recorded" in detail
    assert ">None<" not in detail


def test_register_export_has_spend_to_date(client: Client, officer, ledger: None) -> None:
    from django.utils import timezone

    from contracts import selectors

    client.force_login(officer)
    response = client.get(reverse("contracts:list"), {"_export": "csv"})
    rows = list(csv.DictReader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    today = timezone.localdate()
    for row in rows:
        contract = Contract.objects.get(reference=row["Reference"])
        spend = selectors.contract_spend(contract, today=today)
        assert row["Spend to date"] == f"{spend.spend_pence / 100:.2f}", row["Reference"]
        assert row["Status"].startswith(selectors.contract_live_status(contract, today))


def test_ledger_supplier_picker_fills_the_supplier(client: Client, officer, ledger: None) -> None:
    client.force_login(officer)
    url = reverse("contracts:create")
    for search in ("gamma", "S300"):
        page = client.get(url, {"find": search}).content.decode()
        assert "Gamma Supplies" in page
        assert 'name="ledger_supplier"' in page
    from spend.models import Supplier

    gamma = Supplier.objects.get(supplier_number="S300")
    page = client.get(url, {"find": "gamma", "ledger_supplier": str(gamma.pk)}).content.decode()
    assert 'value="S300"' in page
    assert 'value="Gamma Supplies"' in page
    page = client.get(url, {"find": "nobody at all"}).content.decode()
    assert "No supplier in the ledger matches" in page
    acme = Contract.objects.get(reference="C-ACME")
    add = reverse("contracts:supplier-add", args=[acme.pk])
    page = client.get(add, {"ledger_supplier": str(gamma.pk)}).content.decode()
    assert 'value="S300"' in page


def test_committee_report_has_the_off_contract_table(tmp_path: Path, ledger: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    output = tmp_path / "committee.pdf"
    call_command(
        "build_report", "committee", "--fy", str(FY), "--output", str(output), stdout=StringIO()
    )
    text = pdf_text(output)
    assert "Spend with no contract" in text
    expected = expected_off_contract()
    from spend.models import Supplier

    for number, pence in expected.items():
        name = Supplier.objects.get(supplier_number=number).name
        assert f"{name} {number}" in text
        assert pounds(pence) in text
    assert pounds(sum(expected.values())) + " in all" in text


def test_public_register_shows_status_and_never_drafts(client: Client, ledger: None) -> None:
    from contracts import services
    from portal.periods import Quarter

    services.publication_build(quarter=Quarter.parse("2024Q3"), user=None)
    page = client.get(reverse("register:home")).content.decode()
    assert "C-ACME" in page
    assert "C-EPS" not in page
    assert "Status" in page
