"""OCDS release and record packages into the register: the official samples, real Contracts
Finder packages, pseudo-suppliers, and the schema's findings in words. Expected figures are
read from the JSON here, independently of the import code."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from contracts import services
from contracts.layout import LayoutError
from contracts.models import AwardedSupplier, Contract

pytestmark = pytest.mark.django_db

SAMPLES = "ocds_sample_data"
CF = "contracts_finder_ocds"
CF_100 = "contracts_finder_search_2025-01-23_100_releases.json"
CF_ONE = "contracts_finder_search_2025-01-23_one_award.json"


def _pounds(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_each_stage_of_the_official_sample_is_skipped_or_imported_as_it_should(
    data_dir: Path,
) -> None:
    folder = data_dir / SAMPLES
    for stage, reason in (
        ("01-planning", "no award (planning only)"),
        ("02-tender", "no award (tender only)"),
        ("03-tenderAmendment", "no award (tenderAmendment only)"),
        ("04-award", "no active award (pending)"),
    ):
        result = services.register_import(path=folder / f"ocds-213czf-000-00001-{stage}.json")
        assert result.skipped == [f"release 1 (ocds-213czf-000-00001): {reason}"]
        assert not Contract.objects.exists()

    package = json.loads((folder / "ocds-213czf-000-00001-05-contract.json").read_text())
    release = package["releases"][0]
    award = release["awards"][0]
    services.register_import(path=folder / "ocds-213czf-000-00001-05-contract.json")
    contract = Contract.objects.get()
    assert contract.ocid == release["ocid"] == contract.reference
    # The contract stage has no tender: the award's title is the one there is.
    assert "tender" not in release
    assert contract.title == award["title"]
    assert contract.awarded_value == _pounds(award["value"]["amount"])
    assert contract.award_date.isoformat() == award["date"][:10]
    assert contract.start_date.isoformat() == release["contracts"][0]["period"]["startDate"][:10]
    assert contract.end_date is not None
    assert contract.end_date.isoformat() == release["contracts"][0]["period"]["endDate"][:10]
    assert contract.cpv_code == award["items"][0]["classification"]["id"][:8]
    supplier = contract.suppliers.get()
    assert supplier.name == award["suppliers"][0]["name"]
    party = next(p for p in release["parties"] if p["id"] == award["suppliers"][0]["id"])
    # "11111111.0" in the sample: the number the spreadsheet meant.
    assert supplier.company_number == party["identifier"]["id"].removesuffix(".0")
    assert contract.status == Contract.Status.REGISTERED


def test_the_whole_package_and_the_record_package_give_the_same_contract(
    data_dir: Path,
) -> None:
    folder = data_dir / SAMPLES
    services.register_import(path=folder / "ocds-213czf-000-00001.json")
    first = Contract.objects.values().get()
    suppliers = list(AwardedSupplier.objects.values("name", "company_number"))

    record = json.loads((folder / "record-ocds-213czf-000-00001.json").read_text())
    compiled = record["records"][0]["compiledRelease"]
    Contract.objects.all().delete()
    result = services.register_import(path=folder / "record-ocds-213czf-000-00001.json")
    assert result.contracts_created == 1
    again = Contract.objects.values().get()
    for name in ("reference", "ocid", "title", "awarded_value", "award_date", "start_date"):
        assert again[name] == first[name], name
    assert again["awarded_value"] == sum(
        _pounds(a["value"]["amount"]) for a in compiled["awards"] if a["status"] == "active"
    )
    assert list(AwardedSupplier.objects.values("name", "company_number")) == suppliers


def _expected_contracts(package: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per ocid, from the latest release that has awards: the active awards' total and
    suppliers; only awards worth more than £0."""
    latest: dict[str, dict[str, Any]] = {}
    for release in package["releases"]:
        if not release.get("awards"):
            continue
        held = latest.get(release["ocid"])
        if held is None or release["date"] > held["date"]:
            latest[release["ocid"]] = release
    expected = {}
    for ocid, release in latest.items():
        active = [a for a in release["awards"] if a.get("status", "active") == "active"]
        total = sum((_pounds(a["value"]["amount"]) for a in active), Decimal("0"))
        if total > 0:
            names = {s["name"].strip() for a in active for s in a["suppliers"]}
            expected[ocid] = {"value": total, "suppliers": names, "release": release}
    return expected


def test_real_contracts_finder_package_imports_every_awarded_contract(data_dir: Path) -> None:
    path = data_dir / CF / CF_100
    package = json.loads(path.read_text())
    expected = _expected_contracts(package)
    assert len(expected) > 40  # the test means something

    result = services.register_import(path=path)
    contracts = {c.ocid: c for c in Contract.objects.prefetch_related("suppliers")}
    assert set(contracts) == set(expected)
    assert sum(c.awarded_value for c in contracts.values()) == sum(
        e["value"] for e in expected.values()
    )
    for ocid, wanted in expected.items():
        contract = contracts[ocid]
        assert contract.awarded_value == wanted["value"], ocid
        assert {s.name for s in contract.suppliers.all()} == wanted["suppliers"], ocid
        assert contract.title == wanted["release"]["tender"]["title"].strip()
    # Every ocid without an award worth registering is listed with its reason.
    ocids = {r["ocid"] for r in package["releases"]}
    assert len(result.skipped) == len(ocids) - len(expected)
    assert all(("no award" in s) or ("value" in s) for s in result.skipped)

    # Identifiers and flags from the parties.
    parties = {
        p["id"]: p for r in package["releases"] for p in r["parties"] if "supplier" in p["roles"]
    }
    companies = {
        p["name"]: p["identifier"]["id"].zfill(8)
        for p in parties.values()
        if p.get("identifier", {}).get("scheme") == "GB-COH"
    }
    # A 9-digit "company number" is not one Companies House issues: it is left blank.
    wrong = {name for name, number in companies.items() if len(number) > 8}
    assert wrong
    assert not AwardedSupplier.objects.filter(name__in=wrong).exclude(company_number="")
    companies = {name: number for name, number in companies.items() if name not in wrong}
    checked = 0
    for supplier in AwardedSupplier.objects.all():
        if supplier.name in companies:
            assert supplier.company_number == companies[supplier.name]
            checked += 1
    assert checked >= 5
    smes = {p["name"] for p in parties.values() if p.get("details", {}).get("scale") == "sme"}
    large = {p["name"] for p in parties.values() if p.get("details", {}).get("scale") == "large"}
    assert AwardedSupplier.objects.filter(name__in=smes - large).exclude(sme=True).count() == 0
    assert AwardedSupplier.objects.filter(name__in=large - smes).exclude(sme=False).count() == 0

    # Importing again updates in place.
    counts = (Contract.objects.count(), AwardedSupplier.objects.count())
    again = services.register_import(path=path)
    assert again.contracts_created == 0
    assert again.suppliers_created == 0
    assert (Contract.objects.count(), AwardedSupplier.objects.count()) == counts


def test_a_later_release_of_the_same_ocid_wins_field_by_field(
    data_dir: Path, tmp_path: Path
) -> None:
    package = json.loads((data_dir / CF / CF_ONE).read_text())
    release = package["releases"][0]
    later = json.loads(json.dumps(release))
    later["id"] = release["id"] + "-update"
    later["date"] = "2025-02-01T09:00:00Z"
    later["tag"] = ["awardUpdate"]
    later["awards"][0]["value"]["amount"] = 95000
    del later["tender"]  # not repeated: the earlier release's tender still stands
    package["releases"] = [later, release]  # out of date order on purpose
    services.register_import(path=_write(tmp_path, "two.json", package))
    contract = Contract.objects.get()
    assert contract.awarded_value == Decimal("95000.00")
    assert contract.title == release["tender"]["title"]


def test_pseudo_suppliers_never_become_awards_and_the_contract_is_flagged(
    data_dir: Path, tmp_path: Path, client: Client, officer: Any
) -> None:
    package = json.loads((data_dir / CF / CF_ONE).read_text())
    base = package["releases"][0]
    releases = []
    for number, (name, amount) in enumerate(
        [("Contract not awarded", 400000), ("Multiple suppliers - see attached spreadsheet", 1)]
    ):
        release = json.loads(json.dumps(base))
        release["ocid"] = f"{base['ocid']}-{number}"
        release["awards"][0]["suppliers"] = [{"id": f"pseudo-{number}", "name": name}]
        release["awards"][0]["value"]["amount"] = amount
        releases.append(release)
    package["releases"] = releases
    result = services.register_import(path=_write(tmp_path, "pseudo.json", package))
    assert not AwardedSupplier.objects.exists()
    assert Contract.objects.count() == 2
    assert set(Contract.objects.values_list("status", flat=True)) == {Contract.Status.DRAFT}
    not_awarded = Contract.objects.get(ocid=f"{base['ocid']}-0")
    assert not_awarded.awarded_value == Decimal("400000.00")
    assert "'Contract not awarded'" in not_awarded.needs_attention
    assert len(result.flagged) == 2

    client.force_login(officer)
    page = client.get(reverse("contracts:detail", args=[not_awarded.pk])).content.decode()
    assert "To complete:" in page
    assert "Contract not awarded" in page


def test_the_lancashire_notice_naming_multiple_suppliers_is_a_draft(data_dir: Path) -> None:
    path = data_dir / "contracts_lancashire_cc_contracts_finder" / "lancashire_cc_procurement.json"
    notices = json.loads(path.read_text())["contracts"]
    multiple = next(
        n for n in notices if (n["awarded_supplier"] or "").startswith("Multiple suppliers")
    )
    services.register_import(path=path)
    contract = Contract.objects.get(reference=f"CF-{multiple['id']}")
    assert contract.status == Contract.Status.DRAFT
    assert not contract.suppliers.exists()
    assert "Multiple suppliers" in contract.needs_attention
    assert not AwardedSupplier.objects.filter(name__istartswith="multiple suppliers").exists()


def test_schema_problems_are_reported_in_words_and_bad_fields_refuse_the_file(
    data_dir: Path, tmp_path: Path
) -> None:
    package = json.loads((data_dir / CF / CF_ONE).read_text())
    package["releases"][0]["tag"] = []
    result = services.register_import(path=_write(tmp_path, "tag.json", package))
    assert any("releases/0/tag: [] should be non-empty" in note for note in result.notes)

    package["releases"][0]["awards"][0]["value"]["amount"] = "abc"
    with pytest.raises(LayoutError) as problem:
        services.register_import(path=_write(tmp_path, "abc.json", package))
    message = str(problem.value)
    assert package["releases"][0]["ocid"] in message
    assert "field 'awards/0/value/amount'" in message
    assert "'abc'" in message


def test_the_command_reports_skipped_releases_and_drafts(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "import_register", str(data_dir / SAMPLES / "ocds-213czf-000-00001-02-tender.json")
    )
    assert "skipped release 1 (ocds-213czf-000-00001): no award (tender only)" in (
        capsys.readouterr().out
    )


def test_a_record_package_without_a_compiled_release_says_why_it_was_not_read(
    data_dir: Path, tmp_path: Path
) -> None:
    record = json.loads((data_dir / SAMPLES / "record-ocds-213czf-000-00001.json").read_text())
    del record["records"][0]["compiledRelease"]  # its releases are links (url, date, tag)
    result = services.register_import(path=_write(tmp_path, "links.json", record))
    assert result.skipped == [
        "record 1 (ocds-213czf-000-00001): its releases are links only, with no compiledRelease"
    ]
    assert not Contract.objects.exists()


def test_ppon_charity_and_company_identifiers_are_kept(data_dir: Path, tmp_path: Path) -> None:
    package = json.loads((data_dir / CF / CF_ONE).read_text())
    release = package["releases"][0]
    supplier_id = release["awards"][0]["suppliers"][0]["id"]
    party = next(p for p in release["parties"] if p["id"] == supplier_id)
    party["identifier"] = {"scheme": "GB-PPON", "id": "ELMA-1052-ICAM"}
    party["additionalIdentifiers"] = [
        {"scheme": "GB-COH", "id": "SC123456"},
        {"scheme": "GB-CHC", "id": "1100001"},
    ]
    party["address"]["postalCode"] = "EC3N 2LB"
    services.register_import(path=_write(tmp_path, "ids.json", package))
    supplier = AwardedSupplier.objects.get()
    assert supplier.ppon == "ELMA-1052-ICAM"
    assert supplier.company_number == "SC123456"
    assert supplier.charity_number == "1100001"
    assert supplier.postcode == "EC3N 2LB"
    assert supplier.sme is False  # "scale": "large"
    assert supplier.vcfs is False


def test_the_schema_the_import_reads_is_the_official_one(data_dir: Path) -> None:
    from contracts.ocds_import import SCHEMA_DIR

    for name in (
        "release-package-schema.json",
        "release-schema.json",
        "record-package-schema.json",
    ):
        shipped = (SCHEMA_DIR / name).read_bytes()
        assert shipped == (data_dir / "ocds_schema_1_1_5" / name).read_bytes(), name
