"""Procurement Act 2023 notices from the register: identifiers and values, change history,
the notices (UK7, UK10, UK11) and their OCDS."""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from contracts import notices, selectors, services
from contracts.models import Contract, Notice, PlannedProcurement, PublishedContract
from portal.periods import Quarter, financial_year_of
from tests.contracts.conftest import register_row, write_csv
from tests.contracts.ledger import (
    TODAY,
    Paid,
    build_ledger_and_register,
    ledger_rows,
    register_rows,
    write_spend_file,
)
from tests.contracts.test_views import CONTRACT

pytestmark = pytest.mark.django_db

ACT_CONTRACT = CONTRACT | {
    "reference": "ACT-1",
    "awarded_value": "450000",
    "awarded_value_gross": "540000",
    "regime": "act",
    "main_category": "works",
    "procurement_start_date": "2025-03-03",
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
    assert contract.procurement_start_date == date(2025, 3, 3)
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
        data={
            "awarded_value": Decimal("212000"),
            "awarded_value_gross": Decimal("212000") * Decimal("1.2"),
            "change_ground": "Extra sessions, clause 12",
        },
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
        data={
            "awarded_value": Decimal("222000"),
            "awarded_value_gross": Decimal("222000") * Decimal("1.2"),
            "change_ground": "More clients referred",
        },
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
        data={
            "awarded_value": Decimal("228000"),
            "awarded_value_gross": Decimal("228000") * Decimal("1.2"),
            "change_ground": "Ground conditions",
        },
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


# --- The notices and their OCDS -------------------------------------------------------------

COUNCIL_PPON = "PXYZ-1234-LCCX"


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: how an OCDS extension's release-schema.json applies."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _validator(data_dir: Path, *, with_uk: bool) -> Draft4Validator:
    folder = data_dir / "ocds_schema_1_1_5"
    package = json.loads((folder / "release-package-schema.json").read_text())
    release = json.loads((folder / "release-schema.json").read_text())
    if with_uk:
        patch = json.loads((data_dir / "ocds_uk_extension" / "release-schema.json").read_text())
        release = _merge_patch(release, patch)
    base = "https://standard.open-contracting.org/schema/1__1__5/"
    registry: Registry = Registry().with_resources(
        (base + name, Resource.from_contents(schema, default_specification=DRAFT4))
        for name, schema in (
            ("release-package-schema.json", package),
            ("release-schema.json", release),
        )
    )
    return Draft4Validator(
        package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )


def _check_ocds(data_dir: Path, package: dict[str, Any]) -> None:
    for with_uk in (False, True):
        validator = _validator(data_dir, with_uk=with_uk)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)]
        assert errors == [], with_uk
    assert "cabinetoffice/ocds_uk_extension" in package["extensions"][0]


def test_uk_extension_validation_catches_a_wrong_uk_field(data_dir: Path) -> None:
    """The patched schema does check the UK fields (so the validation below can fail)."""
    package = {
        "uri": "https://example.org/p.json",
        "version": "1.1",
        "extensions": [notices.UK_EXTENSION],
        "publishedDate": "2025-01-01T00:00:00Z",
        "publisher": {"name": "x"},
        "license": "http://example.org",
        "releases": [
            {
                "ocid": "ocds-x-1",
                "id": "1",
                "date": "2025-01-01T00:00:00Z",
                "tag": ["contract"],
                "initiationType": "tender",
                "contracts": [
                    {"id": "c", "awardID": "a", "value": {"amount": 1, "amountGross": "lots"}}
                ],
            }
        ],
    }
    assert not list(_validator(data_dir, with_uk=False).iter_errors(package))
    assert list(_validator(data_dir, with_uk=True).iter_errors(package))


def test_a_contract_from_award_through_changes_to_termination(
    client: Client, officer, settings, tmp_path: Path, data_dir: Path
) -> None:
    settings.COUNCIL_PPON = ""
    build_ledger_and_register(tmp_path)
    acme = Contract.objects.get(reference="C-ACME")
    services.contract_update(
        contract=acme,
        data={"regime": "act", "main_category": "services", "awarded_value_gross": Decimal(120000)},
        user=officer,
    )
    supplier = acme.suppliers.get()
    services.supplier_update(
        supplier=supplier,
        data={
            "ppon": "PABC-9876-ACME",
            "email": "contracts@acme.example",
            "address": "2 Church Street, Preston",
            "sme": True,
            "supported_employment": False,
        },
        user=officer,
    )
    today = date(2025, 7, 5)  # the calendar's day: after the end the contract is given
    due = selectors.notices_due(today)
    assert [(d.contract.reference, d.kind) for d in due] == [("C-ACME", "UK7")]
    assert due[0].deadline == date(2024, 3, 1) + timedelta(days=30)
    assert due[0].overdue

    # Award: the contract details notice.
    details = services.notice_draft(contract=acme, kind=Notice.Kind.CONTRACT_DETAILS, user=officer)
    with pytest.raises(ValidationError, match="PPON is not set"):
        services.notice_publish(notice=details, user=officer)
    details.refresh_from_db()
    assert details.status == Notice.Status.DRAFT
    settings.COUNCIL_PPON = COUNCIL_PPON
    client.force_login(officer)
    assert client.get(f"/register/notices/{details.pk}/").status_code == 404  # drafts never public
    response = client.post(reverse("contracts:notice-publish", args=[details.pk]))
    assert response.status_code == 302
    details.refresh_from_db()
    assert details.status == Notice.Status.PUBLISHED
    assert details.published_by == officer
    assert details.published_at is not None
    package = client.get(reverse("contracts:notice-ocds", args=[details.pk])).json()
    _check_ocds(data_dir, package)
    [release] = package["releases"]
    assert release["tag"] == ["contract"]
    buyer, party = release["parties"]
    assert buyer["identifier"] == {
        "scheme": "GB-PPON",
        "id": COUNCIL_PPON,
        "legalName": settings.COUNCIL_NAME,
    }
    assert party["identifier"]["scheme"] == "GB-PPON"
    assert party["identifier"]["id"] == "PABC-9876-ACME"
    assert party["contactPoint"] == {"email": "contracts@acme.example"}
    assert party["address"]["streetAddress"] == "2 Church Street, Preston"
    assert party["details"] == {"scale": "sme", "vcse": False, "shelteredWorkshop": False}
    assert release["contracts"][0]["value"] == {
        "amount": 100000,
        "amountGross": 120000,
        "currency": "GBP",
    }
    assert release["contracts"][0]["documents"][0]["noticeType"] == "UK7"
    page = client.get(details.get_absolute_url()).content.decode()
    assert "PABC-9876-ACME" in page
    assert "£120,000.00" in page
    assert "contracts@acme.example" in page

    # A change within 10%: kept, no notice due. A second takes it over 10% together. The
    # value including VAT must change with it, or the notices would show the old one.
    stale = {"awarded_value": Decimal("104000"), "change_ground": "Inflation clause 9"}
    with pytest.raises(ValidationError, match="give the value including VAT"):
        services.contract_update(contract=acme, data=stale, user=officer)
    services.contract_update(
        contract=acme, data=stale | {"awarded_value_gross": Decimal("124800")}, user=officer
    )
    assert selectors.notices_due(today) == []
    services.contract_update(
        contract=acme,
        data={
            "awarded_value": Decimal("112000"),
            "awarded_value_gross": Decimal("134400"),
            "end_date": date(2026, 6, 30),
            "change_ground": "Schedule 8 paragraph 5: additional care hours",
        },
        user=officer,
    )
    [due_change] = selectors.notices_due(today)
    second = acme.changes.order_by("pk").last()
    assert second is not None
    assert due_change.kind == "UK10"
    assert due_change.change == second
    assert "12.0%" in due_change.note  # (4,000 + 8,000) / 100,000
    response = client.post(
        reverse("contracts:notice-draft", args=[acme.pk, "UK10"]), {"change": second.pk}
    )
    change_notice = Notice.objects.get(kind="UK10")
    assert response["Location"] == change_notice.get_absolute_url()
    services.notice_publish(notice=change_notice, user=officer)
    package = client.get(reverse("contracts:notice-ocds", args=[change_notice.pk])).json()
    _check_ocds(data_dir, package)
    [amendment] = package["releases"][0]["contracts"][0]["amendments"]
    assert amendment["rationale"] == "Schedule 8 paragraph 5: additional care hours"
    assert amendment["value"] == {"amount": 112000, "amountGross": 134400, "currency": "GBP"}
    assert amendment["period"]["endDate"] == "2026-06-30T00:00:00Z"
    assert package["releases"][0]["tag"] == ["contractAmendment"]

    # Termination: ending the contract proposes the notice; its final value is the ledger's.
    services.contract_end(
        contract=acme, ended_on=date(2025, 6, 30), reason="Service re-let", user=officer
    )
    termination = Notice.objects.get(kind="UK11")
    assert termination.proposed_automatically
    assert termination.status == Notice.Status.DRAFT
    [due_end] = selectors.notices_due(today)
    assert due_end.deadline == date(2025, 7, 30)
    assert not due_end.overdue
    assert due_end.draft == termination
    start, end = date(2024, 4, 15), date(2025, 6, 30)
    expected = sum(
        p.pence
        for p in ledger_rows()
        if (p.supplier == "S100" and start <= p.day <= end)
        or p.order == "C-ACME"
        or p.invoice == "G-LINK"
    )
    services.notice_publish(notice=termination, user=officer)
    termination.refresh_from_db()
    assert termination.final_value_pence == expected
    package = client.get(reverse("contracts:notice-ocds", args=[termination.pk])).json()
    _check_ocds(data_dir, package)
    ocds_contract = package["releases"][0]["contracts"][0]
    assert ocds_contract["status"] == "terminated"
    assert ocds_contract["implementation"]["endDate"] == "2025-06-30T00:00:00Z"
    assert ocds_contract["implementation"]["endDateDetails"] == "Service re-let"
    assert Decimal(str(ocds_contract["implementation"]["finalValue"]["amount"])) == (
        Decimal(expected) / 100
    )
    assert selectors.notices_due(today) == []
    published = {row.notice.kind: row.on_time for row in selectors.notices_published()}
    # Published today: the award and the end were long ago; the change was recorded today.
    assert published == {"UK7": False, "UK10": True, "UK11": False}

    # Published notices are frozen: a later edit does not change them.
    services.contract_update(contract=acme, data={"title": "Renamed"}, user=officer)
    details.refresh_from_db()
    assert details.release["contracts"][0]["title"] == "Contract C-ACME"

    # The public register links the published notices.
    services.publication_build(quarter=Quarter.parse("2025Q2"), user=None)
    published_contract = PublishedContract.objects.get(reference="C-ACME")
    client.logout()
    page = client.get(published_contract.get_absolute_url()).content.decode()
    for notice in (details, change_notice, termination):
        assert f"/register/notices/{notice.pk}/" in page
        assert client.get(f"/register/notices/{notice.pk}/").status_code == 200
    public = client.get(f"/register/notices/{termination.pk}/").content.decode()
    assert "Service re-let" in public
    assert client.get(f"/register/notices/{termination.pk}/ocds/").json() == package
    response = client.get(f"/register/notices/{termination.pk}/csv/")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["Notice code"] == "UK11"
    assert row["Contracting authority PPON"] == COUNCIL_PPON
    assert row["Supplier PPONs"] == "PABC-9876-ACME"
    assert row["Value excluding VAT"] == "112000.00"
    assert row["Value including VAT"] == "134400.00"
    assert Decimal(row["Final value (ledger spend, excluding VAT)"]) == Decimal(expected) / 100
    assert row["Date ended"] == "2025-06-30"
    assert row["Reason ended"] == "Service re-let"
    assert client.get(f"/register/notices/{details.pk}/csv/").status_code == 200


def test_notices_are_only_for_act_contracts(officer) -> None:
    contract = _award(officer)
    Contract.objects.filter(pk=contract.pk).update(regime="pcr2015")
    contract.refresh_from_db()
    with pytest.raises(ValidationError, match="not recorded as procured under the Procurement"):
        services.notice_draft(contract=contract, kind=Notice.Kind.CONTRACT_DETAILS, user=officer)
    assert selectors.notices_due(date(2025, 6, 1)) == []


def test_expired_act_contracts_get_a_termination_notice_proposed(officer) -> None:
    contract = _award(officer)
    assert services.termination_notices_propose(today=date(2027, 4, 30)) == []
    [proposed] = services.termination_notices_propose(today=date(2027, 5, 1))
    assert proposed.contract == contract
    assert proposed.terminated_on == date(2027, 4, 30)
    assert proposed.termination_reason == "Contract expired"
    assert services.termination_notices_propose(today=date(2027, 5, 2)) == []


def test_a_register_file_that_changes_value_or_end_is_kept_as_a_change(tmp_path: Path) -> None:
    first = [register_row("IMP-1", "Acme Care Ltd", **{"Awarded value": "100000.00"})]
    services.register_import(path=write_csv(tmp_path / "one.csv", first))
    contract = Contract.objects.get(reference="IMP-1")
    Contract.objects.filter(pk=contract.pk).update(awarded_value_gross=Decimal("120000"))
    again = services.register_import(path=write_csv(tmp_path / "one.csv", first))
    assert not contract.changes.exists()
    assert again.flagged == []
    changed = [
        register_row(
            "IMP-1", "Acme Care Ltd", **{"Awarded value": "125000.00", "End date": "2025-10-31"}
        )
    ]
    result = services.register_import(path=write_csv(tmp_path / "two.csv", changed), name="two")
    [change] = contract.changes.all()
    assert change.value_before == Decimal("100000")
    assert change.value_after == Decimal("125000")
    assert change.end_before == date(2025, 4, 30)
    assert change.end_after == date(2025, 10, 31)
    assert "ground not recorded" in change.ground
    assert any("IMP-1" in f and "value including VAT" in f for f in result.flagged)
    contract.refresh_from_db()
    [tested] = selectors.change_history(contract, today=date(2025, 1, 1)).changes
    assert tested.value_percent == Decimal("25.0")
    assert tested.needs_notice


def _definition_errors(data_dir: Path, name: str, instance: Any) -> list[str]:
    """Errors of one object against a definition of the UK-patched release schema (the
    metrics and performance failure objects are defined there but referenced only by the
    extensions the UK extension depends on)."""
    release = _merge_patch(
        json.loads((data_dir / "ocds_schema_1_1_5" / "release-schema.json").read_text()),
        json.loads((data_dir / "ocds_uk_extension" / "release-schema.json").read_text()),
    )
    schema = {**release, "$ref": f"#/definitions/{name}"}
    schema.pop("properties", None)
    schema.pop("required", None)
    validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def test_kpis_an_assessment_and_a_failure_in_the_performance_notice(
    officer, settings, data_dir: Path
) -> None:
    settings.COUNCIL_PPON = COUNCIL_PPON
    contract = services.contract_create(
        reference="BIG-1",
        contract={
            "title": "Highways maintenance",
            "department": "Highways",
            "award_date": date(2025, 3, 1),
            "start_date": date(2025, 4, 1),
            "end_date": date(2032, 3, 31),
            "awarded_value": Decimal("40000000"),
            "awarded_value_gross": Decimal("48000000"),
            "regime": "act",
            "main_category": "works",
        },
        supplier={"name": "Roads Ltd", "ppon": "PRDS-2222-ROAD"},
        user=officer,
    )
    [details_due] = selectors.notices_due(date(2025, 3, 5))
    assert "at least three KPIs" in details_due.note
    assert "0 recorded" in details_due.note
    with pytest.raises(ValidationError, match="target"):
        services.kpi_add(contract=contract, title="Potholes", target=" ")
    kpis = [
        services.kpi_add(
            contract=contract,
            title=title,
            target=target,
            unit=unit,
            description=f"{title} each month",
        )
        for title, target, unit in (
            ("Category 1 defects made safe in 24 hours", "98", "percent"),
            ("Gullies cleansed to schedule", "95", "percent"),
            ("Local labour", "60", "percent"),
        )
    ]
    [details_due] = selectors.notices_due(date(2025, 3, 5))
    assert details_due.note == ""
    details = services.notice_draft(contract=contract, kind="UK7", user=officer)
    services.notice_publish(notice=details, user=officer)
    details.refresh_from_db()
    metrics = details.release["contracts"][0]["agreedMetrics"]
    assert [m["title"] for m in metrics] == [k.title for k in kpis]
    assert metrics[0]["observations"][0] == {
        "id": f"kpi-{kpis[0].pk}-target",
        "measure": "98",
        "unit": {"name": "percent"},
    }

    # s.71 runs from 1 January 2026: the first assessment is due 12 months on.
    [due] = selectors.notices_due(date(2026, 11, 1))
    assert due.kind == "UK9"
    assert due.deadline == date(2027, 1, 1)
    officer_rating = services.assessment_enter(
        kpi=kpis[0],
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        rating="slightlyBelow",
        measure="96.5",
        notes="Winter backlog",
        user=officer,
    )
    supplier_return = services.assessment_enter(
        kpi=kpis[1],
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        rating="met",
        user=None,
        by_supplier=True,
    )
    with pytest.raises(ValidationError, match="at most 12 months"):
        services.assessment_enter(
            kpi=kpis[2],
            period_start=date(2025, 1, 1),
            period_end=date(2026, 12, 31),
            rating="met",
            user=officer,
        )
    failure = services.failure_record(
        contract=contract,
        data={
            "requirement": "Clause 14: emergency response within 2 hours",
            "description": "Three call-outs missed in March; a road stayed closed 9 hours.",
            "decision_date": date(2026, 4, 20),
            "penalty_type": "contracted",
            "penalty_value": Decimal("15000.00"),
            "penalty_date": date(2026, 5, 1),
        },
        user=officer,
    )
    notice = Notice.objects.create(
        contract=contract,
        kind="UK9",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        created_by=officer,
    )
    services.notice_publish(notice=notice, user=officer)
    notice.refresh_from_db()
    package = notices.notice_package(notice)
    _check_ocds(data_dir, package)
    [release] = package["releases"]
    assert release["tag"] == ["implementation"]
    implementation = release["contracts"][0]["implementation"]
    # The supplier's unverified return is not reported; the officer's rating is.
    [metric] = implementation["metrics"]
    assert metric["id"] == f"kpi-{kpis[0].pk}"
    [observation] = metric["observations"]
    assert observation["measureClassification"] == {
        "id": "slightlyBelow",
        "description": "Approaching target",
    }
    assert observation["measure"] == "96.5"
    assert _definition_errors(data_dir, "Observation", observation) == []
    [reported] = implementation["performanceFailures"]
    assert reported["requirement"] == failure.requirement
    assert reported["penaltyType"] == "contracted"
    assert reported["penaltyValue"] == {"amount": 15000, "currency": "GBP"}
    assert _definition_errors(data_dir, "PerformanceFailure", reported) == []
    assert _definition_errors(data_dir, "PerformanceFailure", {"penaltyType": "fined"}) != []
    assert officer_rating.verified_by == officer
    assert supplier_return.verified_at is None
    services.assessment_verify(assessment=supplier_return, user=officer)
    supplier_return.refresh_from_db()
    assert supplier_return.verified_by == officer
    # The published notice covers 2026: the next is due 12 months after it.
    assert [d.deadline for d in selectors.notices_due(date(2027, 11, 1))] == [date(2028, 1, 1)]


def test_officer_records_kpis_assessments_and_failures_on_the_pages(
    client: Client, officer, councillor
) -> None:
    contract = _award(officer)
    client.force_login(officer)
    url = reverse("contracts:kpi-add", args=[contract.pk])
    response = client.post(url, {"title": "", "target": ""})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not contract.kpis.exists()
    response = client.post(url, {"title": "Visits on time", "target": "95", "unit": "percent"})
    assert response.status_code == 302
    [kpi] = contract.kpis.all()
    response = client.post(
        reverse("contracts:assessment-add", args=[contract.pk]),
        {
            "kpi": kpi.pk,
            "period_start": "2025-05-01",
            "period_end": "2026-04-30",
            "rating": "below",
            "measure": "88",
            "notes": "",
        },
    )
    assert response.status_code == 302
    [assessment] = kpi.assessments.all()
    assert assessment.get_rating_display() == "Requires improvement"
    assert assessment.verified_by == officer
    response = client.post(
        reverse("contracts:failure-add", args=[contract.pk]),
        {
            "requirement": "Clause 7: named carer",
            "description": "Carers changed weekly for two months.",
            "decision_date": "2025-11-03",
            "penalty_type": "",
            "penalty_value": "",
            "penalty_date": "",
            "partial_termination": "",
        },
    )
    assert response.status_code == 302
    assert contract.performance_failures.get().decision_date == date(2025, 11, 3)
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "Visits on time" in page
    assert "Requires improvement" in page
    assert "Clause 7: named carer" in page
    client.force_login(councillor)
    assert client.post(url, {"title": "x", "target": "y"}).status_code == 403
    assert contract.kpis.count() == 1


def test_the_committee_report_summarises_notices_on_time_and_due(officer, settings) -> None:
    from reports.committee import committee_report_context

    settings.COUNCIL_PPON = COUNCIL_PPON
    late = _award(officer, category="services")  # awarded 1 April 2025: UK7 due 1 May 2025
    due = _award(officer, category="works")
    services.notice_publish(
        notice=services.notice_draft(contract=late, kind="UK7", user=officer), user=officer
    )
    today = date.today()
    context = committee_report_context(financial_year_of(today), today)
    compliance = context["by_anchor"]["act-notices"].data["compliance"]
    assert (compliance.published, compliance.on_time, compliance.late) == (1, 0, 1)
    assert compliance.due == 1  # the works contract's UK7
    assert compliance.overdue == 1
    assert selectors.notices_due(today)[0].contract == due


def test_a_supplier_returns_a_kpi_assessment_through_its_link(client: Client, officer) -> None:
    from socialvalue import services as social_value

    contract = _award(officer)
    kpi = services.kpi_add(contract=contract, title="Visits on time", target="95")
    _link, token = social_value.supplier_link_create(
        contract=contract, supplier=contract.suppliers.get(), user=officer
    )
    url = reverse("socialvalue:supplier-kpi-return", args=[token])
    assert (
        "Send a KPI assessment" in client.get(f"/social-value/supplier/{token}/").content.decode()
    )
    form = {
        "kpi": kpi.pk,
        "period_start": "2025-05-01",
        "period_end": "2026-04-30",
        "rating": "bogus",
        "measure": "97",
        "notes": "",
    }
    assert client.post(url, form).status_code == 400
    assert not kpi.assessments.exists()
    response = client.post(url, form | {"rating": "met"})
    assert response.status_code == 302
    [assessment] = kpi.assessments.all()
    assert assessment.returned_by_supplier
    assert assessment.verified_at is None
    # Not reported until verified: the officer sees it waiting on the contract's page.
    client.force_login(officer)
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "Supplier returns to verify" in page
    client.post(reverse("contracts:assessment-verify", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.verified_by == officer
    # Another contract's KPI cannot be returned through this link.
    other = _award(officer, category="works")
    foreign = services.kpi_add(contract=other, title="Defects", target="98")
    client.logout()
    assert client.post(url, form | {"kpi": foreign.pk, "rating": "met"}).status_code == 400
    assert not foreign.assessments.exists()


def test_the_pipeline_notice_from_the_ledger_test_and_planned_procurements(
    client: Client, officer, settings, tmp_path: Path, data_dir: Path
) -> None:
    from spend import services as spend_services

    big = Paid("S100", "Acme Care Ltd", date(2024, 11, 5), "100000000.00", invoice="BIG")
    rows = [*ledger_rows(), big]
    [batch] = spend_services.import_paths(paths=[write_spend_file(tmp_path / "s.csv", rows)])
    assert batch.status == batch.Status.LOADED, batch.error
    services.register_import(path=write_csv(tmp_path / "r.csv", register_rows()))
    Contract.objects.filter(reference="C-EPS").update(status=Contract.Status.DRAFT)
    services.contract_end(
        contract=Contract.objects.get(reference="C-DELTA"),
        ended_on=date(2024, 9, 30),
        reason="In-house",
        user=None,
    )
    acme = Contract.objects.get(reference="C-ACME")
    Contract.objects.filter(pk=acme.pk).update(awarded_value_gross=Decimal("2400000"))
    fy_start, fy_end = date(2024, 4, 1), date(2025, 3, 31)
    acme_paid = sum(
        p.pence
        for p in rows
        if fy_start <= p.day <= fy_end
        and ((p.supplier == "S100" and p.day >= date(2024, 4, 15)) or p.order == "C-ACME")
    )  # (G-LINK is not linked to the contract in this test)
    delta_paid = sum(
        p.pence for p in rows if p.supplier == "S400" and fy_start <= p.day <= date(2024, 9, 30)
    )
    plan = selectors.pipeline(2025, today=date(2025, 4, 10))
    assert plan.basis_fy == 2024
    assert plan.basis_spend_pence == acme_paid + delta_paid
    assert plan.required
    assert plan.deadline == date(2025, 5, 26)
    assert plan.window_end == date(2026, 10, 1)
    assert [c.reference for c in plan.unplanned] == ["C-ACME"]
    assert plan.planned == []
    settings.COUNCIL_PPON = COUNCIL_PPON
    with pytest.raises(ValidationError, match="add the planned procurements first"):
        services.pipeline_publish(fy=2025, user=officer)

    client.force_login(officer)
    response = client.post(
        reverse("contracts:planned-add"),
        {
            "title": "Home care framework",
            "description": "",
            "department": "Adult Services",
            "cpv_code": "85000000",
            "estimated_value_gross": "12000000",
            "tender_notice_on": "2025-10-01",
            "award_on": "2026-03-01",
        },
    )
    assert response.status_code == 302
    small = {"title": "Small", "estimated_value_gross": Decimal("1999999.99")}
    services.planned_procurement_add(
        data=small | {"tender_notice_on": date(2025, 9, 1)}, user=officer
    )
    planned = PlannedProcurement.objects.get(title="Home care framework")
    PlannedProcurement.objects.filter(pk=planned.pk).update(replaces=acme)
    plan = selectors.pipeline(2025, today=date(2025, 4, 10))
    assert [p.title for p in plan.planned] == ["Home care framework"]  # under £2m left out
    assert plan.unplanned == []
    page = client.get(reverse("contracts:pipeline") + "?fy=2025").content.decode()
    assert "Yes: more than £100 million" in page
    assert "Home care framework" in page
    notice = services.pipeline_publish(fy=2025, user=officer)
    assert notice.published_by == officer
    package = client.get(reverse("contracts:pipeline-ocds", args=[2025])).json()
    _check_ocds(data_dir, package)
    [release] = package["releases"]
    assert release["tag"] == ["planning"]
    assert release["tender"]["value"] == {"amountGross": 12000000, "currency": "GBP"}
    assert release["planning"]["documents"][0]["noticeType"] == "UK1"
    with pytest.raises(ValidationError, match="already published"):
        services.pipeline_publish(fy=2025, user=officer)


def test_the_daily_termination_job_is_scheduled() -> None:
    from django.conf import settings as django_settings

    entry: Any = django_settings.CELERY_BEAT_SCHEDULE["contracts-propose-terminations"]
    assert entry["task"] == "portal.start_scheduled_job"
    assert entry["args"][0] == "contracts.propose_terminations"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_termination_job_proposes_notices_on_a_worker(celery_worker, officer) -> None:
    from portal.models import Job
    from portal.services import job_start
    from tests.conftest import wait_for

    expired = services.contract_create(
        reference="EXP-1",
        contract={
            "title": "Old cleaning contract",
            "department": "Property",
            "award_date": date(2022, 4, 1),
            "start_date": date(2022, 5, 1),
            "end_date": date(2025, 4, 30),
            "awarded_value": Decimal("90000"),
            "regime": "act",
        },
        supplier={"name": "Clean Co"},
        user=officer,
    )
    job = job_start(kind="contracts.propose_terminations", title="Termination notices")
    done = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first(),
        timeout=120,
    )
    assert done.status == "succeeded", done.error
    assert done.result == {"proposed": 1}
    notice = Notice.objects.get(contract=expired)
    assert notice.kind == "UK11"
    assert notice.proposed_automatically
    assert notice.terminated_on == date(2025, 4, 30)


def test_councillors_read_the_calendar_and_notices_but_cannot_draft_or_publish(
    client: Client, officer, councillor
) -> None:
    contract = _award(officer)
    notice = services.notice_draft(contract=contract, kind="UK7", user=officer)
    client.force_login(councillor)
    page = client.get(reverse("contracts:notices")).content.decode()
    assert contract.reference in page
    assert "Draft notice" not in page
    assert "Publish notice" not in client.get(notice.get_absolute_url()).content.decode()
    assert client.post(reverse("contracts:notice-publish", args=[notice.pk])).status_code == 403
    draft_url = reverse("contracts:notice-draft", args=[contract.pk, "UK11"])
    assert client.post(draft_url).status_code == 403
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
    client.logout()
    assert client.get(reverse("contracts:notices")).status_code == 302
    assert client.get(f"/register/notices/{notice.pk}/ocds/").status_code == 404
