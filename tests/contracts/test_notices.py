"""Procurement Act 2023 notices from the register: identifiers and values, change history,
the notices (UK7, UK10, UK11) and their OCDS."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from contracts import services
from contracts.models import Contract
from tests.contracts.test_views import CONTRACT

pytestmark = pytest.mark.django_db

ACT_CONTRACT = CONTRACT | {
    "reference": "ACT-1",
    "awarded_value": "450000",
    "awarded_value_gross": "540000",
    "regime": "act",
    "main_category": "works",
    "procurement_started_on": "2025-03-03",
    "supplier-ppon": "PVRD-1234-ABCD",
    "supplier-email": "bids@greenspaces.example",
    "supplier-address": "1 Fishergate, Preston",
    "supplier-supported_employment": "false",
    "supplier-public_service_mutual": "unknown",
}


def test_officer_records_the_acts_identifiers_and_values(client: Client, officer) -> None:
    client.force_login(officer)
    response = client.post(reverse("contracts:create"), ACT_CONTRACT)
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(reference="ACT-1")
    assert contract.awarded_value == Decimal("450000")
    assert contract.awarded_value_gross == Decimal("540000")
    assert contract.regime == "act"
    assert contract.main_category == "works"
    assert contract.procurement_started_on == date(2025, 3, 3)
    supplier = contract.suppliers.get()
    assert supplier.ppon == "PVRD-1234-ABCD"
    assert supplier.email == "bids@greenspaces.example"
    assert supplier.supported_employment is False
    assert supplier.public_service_mutual is None
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "£540,000.00" in page
    assert "Procurement Act 2023" in page
    assert "3 March 2025" in page


def test_value_including_vat_below_the_value_excluding_it_is_refused(officer) -> None:
    contract = services.contract_create(
        reference="ACT-2",
        contract={
            "title": "Cleaning",
            "department": "Property",
            "award_date": date(2025, 4, 1),
            "start_date": date(2025, 5, 1),
            "end_date": date(2027, 4, 30),
            "awarded_value": Decimal("100000"),
        },
        supplier={"name": "Clean Co"},
        user=officer,
    )
    with pytest.raises(ValidationError) as problem:
        services.contract_update(
            contract=contract, data={"awarded_value_gross": Decimal("99999.99")}, user=officer
        )
    assert "cannot be less than the value excluding VAT" in str(problem.value)
    contract.refresh_from_db()
    assert contract.awarded_value_gross is None
