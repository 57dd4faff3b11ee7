"""Procurement Act 2023 notices from the register: identifiers and values, change history,
the notices (UK7, UK10, UK11) and their OCDS."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from contracts import selectors, services
from contracts.models import Contract
from tests.contracts.ledger import TODAY, build_ledger_and_register
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


def _award(officer, *, category: str = "services", value: str = "200000") -> Contract:
    return services.contract_create(
        reference=f"ACT-{category}",
        contract={
            "title": "Day care for older people",
            "department": "Adult Services",
            "award_date": date(2025, 4, 1),
            "start_date": date(2025, 5, 1),
            "end_date": date(2027, 4, 30),
            "awarded_value": Decimal(value),
            "awarded_value_gross": Decimal(value) * Decimal("1.2"),
            "regime": "act",
            "main_category": category,
        },
        supplier={"name": "Care Co", "ppon": "PMZV-7777-QRST"},
        user=officer,
    )


def test_every_change_is_kept_and_the_cumulative_threshold_flags(client: Client, officer) -> None:
    contract = _award(officer)
    today = date(2025, 9, 1)
    with pytest.raises(ValidationError) as problem:
        services.contract_update(
            contract=contract, data={"awarded_value": Decimal("210000")}, user=officer
        )
    assert "Say why the value or end date may change" in str(problem.value)
    assert not contract.changes.exists()

    # 6% of the value: within the 10% for services, no notice.
    services.contract_update(
        contract=contract,
        data={"awarded_value": Decimal("212000"), "change_ground": "Extra sessions, clause 12"},
        user=officer,
    )
    history = selectors.change_history(contract, today=today)
    [first] = history.changes
    assert first.value_percent == Decimal("6.0")
    assert not first.needs_notice
    assert not history.needs_change_notice
    # A further 5% (11% together, as s.75 counts them) crosses the threshold.
    services.contract_update(
        contract=contract,
        data={"awarded_value": Decimal("222000"), "change_ground": "More clients referred"},
        user=officer,
    )
    history = selectors.change_history(contract, today=today)
    assert history.original_value == Decimal("200000")
    second = history.changes[1]
    expected = (Decimal(22000) * 100 / Decimal(200000)).quantize(Decimal("0.1"))
    assert second.value_percent == expected == Decimal("11.0")
    assert second.needs_notice
    assert history.needs_change_notice
    assert "over 10%" in second.reason
    assert [c.change.ground for c in history.changes] == [
        "Extra sessions, clause 12",
        "More clients referred",
    ]
    client.force_login(officer)
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "Needs a change notice" in page
    assert "More clients referred" in page
    assert "11.0%" in page


def test_works_may_grow_by_15_percent_and_the_term_by_10(officer) -> None:
    contract = _award(officer, category="works")
    today = date(2025, 9, 1)
    services.contract_update(
        contract=contract,
        data={"awarded_value": Decimal("228000"), "change_ground": "Ground conditions"},
        user=officer,
    )
    history = selectors.change_history(contract, today=today)
    assert history.changes[0].value_percent == Decimal("14.0")
    assert not history.needs_change_notice
    # 730 days' term: 80 more days is 11.0%.
    services.contract_update(
        contract=contract,
        data={"end_date": date(2027, 7, 19), "change_ground": "Delay by the utility"},
        user=officer,
    )
    history = selectors.change_history(contract, today=today)
    term_days = (date(2027, 4, 30) - date(2025, 5, 1)).days
    expected = (Decimal(80) * 100 / Decimal(term_days)).quantize(Decimal("0.1"))
    assert history.changes[1].term_percent == expected
    assert history.changes[1].needs_notice
    assert "the term has changed" in history.changes[1].reason


def test_spend_past_the_value_raises_the_same_flag(tmp_path) -> None:
    build_ledger_and_register(tmp_path)
    acme = Contract.objects.get(reference="C-ACME")
    assert not selectors.change_history(acme, today=TODAY).needs_change_notice
    Contract.objects.filter(pk=acme.pk).update(awarded_value=Decimal("50000.00"))
    acme.refresh_from_db()
    history = selectors.change_history(acme, today=TODAY)
    assert history.needs_change_notice
    assert history.spend_over_value.startswith("Spend under the contract")
    assert "(£50,000.00)" in history.spend_over_value
