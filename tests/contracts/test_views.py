"""Officers' pages: who may see and change what; create, edit, end with validation; exports."""

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from contracts import services
from contracts.models import Contract
from portal.models import Job
from tests.conftest import downloaded
from tests.contracts.conftest import CONTRACT, register_row, write_csv

pytestmark = pytest.mark.django_db


def test_anonymous_people_are_sent_to_sign_in(client: Client) -> None:
    for name in (
        "contracts:list",
        "contracts:awards",
        "contracts:forward-plan",
        "contracts:publications",
        "contracts:import",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert reverse("portal:sign-in") in response["Location"]
    assert client.get(reverse("register:home")).status_code == 200


def test_councillors_read_but_cannot_change(client: Client, councillor) -> None:
    client.force_login(councillor)
    assert client.get(reverse("contracts:list")).status_code == 200
    assert client.get(reverse("contracts:awards")).status_code == 200
    assert client.get(reverse("contracts:create")).status_code == 403
    assert client.post(reverse("contracts:create"), CONTRACT).status_code == 403
    assert client.get(reverse("contracts:import")).status_code == 403
    assert client.post(reverse("contracts:publications"), {"quarter": "2024Q1"}).status_code == 403
    assert not Contract.objects.exists()


def test_officer_creates_edits_and_ends_a_contract(client: Client, officer) -> None:
    client.force_login(officer)
    response = client.post(reverse("contracts:create"), CONTRACT)
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(reference="NEW-1")
    supplier = contract.suppliers.get()
    assert supplier.company_number == "01234567"
    assert supplier.postcode == "PR1 2HE"
    assert supplier.sme is True
    page = client.get(contract.get_absolute_url()).content.decode()
    assert "Home area" in page

    edit = {k: v for k, v in CONTRACT.items() if not k.startswith("supplier-")}
    edit.update(title="Grounds maintenance (north)", end_date="2024-04-01")
    response = client.post(reverse("contracts:edit", args=[contract.pk]), edit)
    assert response.status_code == 200
    assert "The end date must be after the start date" in response.content.decode()
    edit["end_date"] = "2027-04-30"
    assert client.post(reverse("contracts:edit", args=[contract.pk]), edit).status_code == 302
    contract.refresh_from_db()
    assert contract.title == "Grounds maintenance (north)"

    add = {
        "supplier-name": "Second Ltd",
        "supplier-postcode": "M1 1AE",
        "supplier-company_number": "SC123456",
        "supplier-sme": "unknown",
        "supplier-vcfs": "unknown",
    }
    assert (
        client.post(reverse("contracts:supplier-add", args=[contract.pk]), add).status_code == 302
    )
    assert contract.suppliers.count() == 2

    response = client.post(
        reverse("contracts:end", args=[contract.pk]),
        {"ended_on": "2025-01-31", "reason": "Service brought in-house"},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert str(contract.ended_on) == "2025-01-31"
    assert contract.effective_end == contract.ended_on


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("awarded_value", "0", "more than £0"),
        ("awarded_value", "-10", "more than £0"),
        ("cpv_code", "7731", "8 digits"),
        ("end_date", "2024-04-30", "after the start date"),
        ("supplier-company_number", "ABC", "company number"),
        ("supplier-postcode", "Paris", "UK postcode"),
    ],
)
def test_create_is_validated(client: Client, officer, field: str, value: str, message: str) -> None:
    client.force_login(officer)
    response = client.post(reverse("contracts:create"), {**CONTRACT, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Contract.objects.exists()


def test_services_validate_too() -> None:
    data: dict[str, Any] = {"title": "T", "department": "D", "award_date": None, "start_date": None}
    from datetime import date
    from decimal import Decimal

    data.update(
        award_date=date(2024, 1, 1),
        start_date=date(2024, 2, 1),
        end_date=date(2024, 1, 1),
        awarded_value=Decimal("0"),
        cpv_code="1",
    )
    with pytest.raises(ValidationError) as problem:
        services.contract_create(reference="S1", contract=data, supplier={"name": "X"}, user=None)
    assert set(problem.value.message_dict) == {"end_date", "awarded_value", "cpv_code"}


def test_search_filter_and_exports(client: Client, officer, tmp_path: Path) -> None:
    rows = [
        register_row("A-1", "Acme Ltd", Department="Highways", **{"Company number": "SC000123"}),
        register_row("B-2", "=cmd()", Department="Schools"),
        register_row("C-3", "Other Ltd", Department="Schools"),
    ]
    services.register_import(path=write_csv(tmp_path / "r.csv", rows))
    client.force_login(officer)
    url = reverse("contracts:list")
    assert "A-1" in client.get(url, {"q": "acme"}).content.decode()
    assert "B-2" not in client.get(url, {"q": "acme"}).content.decode()
    assert "A-1" in client.get(url, {"q": "SC000123"}).content.decode()
    schools = client.get(url, {"department": "Schools"}).content.decode()
    assert "B-2" in schools
    assert "A-1" not in schools
    listed = downloaded(client.get(url, {"_export": "csv"})).decode("utf-8-sig")
    assert listed.splitlines()[0].startswith("Reference,Title,Department")
    layout = client.get(reverse("contracts:export"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=cmd()" in layout
    assert layout.splitlines()[0].startswith("Reference,Title,Description,Department")
    xlsx = client.get(reverse("contracts:export"), {"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"


def test_upload_page_starts_an_import_job(client: Client, officer, tmp_path: Path) -> None:
    from portal.services import job_run

    client.force_login(officer)
    bad = write_csv(
        tmp_path / "bad.csv",
        [register_row("R1", "Acme"), register_row("R2", "Acme", **{"CPV code": "12"})],
    )
    with bad.open("rb") as handle:
        response = client.post(reverse("contracts:import"), {"file": handle})
    assert response.status_code == 302
    job = Job.objects.get(kind="contracts.import")
    job = job_run(job_id=job.pk)
    assert job.status == "failed"
    assert "line 3, column 'CPV code'" in job.error
    assert not Contract.objects.exists()

    good = write_csv(tmp_path / "good.csv", [register_row("R1", "Acme")])
    with good.open("rb") as handle:
        client.post(reverse("contracts:import"), {"file": handle})
    job = job_run(job_id=Job.objects.filter(kind="contracts.import").first().pk)  # type: ignore[union-attr]
    assert job.status == "succeeded", job.error
    assert job.result["contracts_created"] == 1
    assert Contract.objects.filter(reference="R1").exists()


def test_ending_early_is_its_own_page_not_a_red_button_beside_change(
    client: Client, officer
) -> None:
    from tests.html import Page, classes, text

    client.force_login(officer)
    assert client.post(reverse("contracts:create"), CONTRACT).status_code == 302
    contract = Contract.objects.get(reference=CONTRACT["reference"])
    detail = Page(client.get(contract.get_absolute_url()).content)
    buttons = [b for b in detail.find_all("a", detail.main()) if "govuk-button" in classes(b)]
    assert "Change" in [text(b) for b in buttons]
    assert not [b for b in buttons if "govuk-button--warning" in classes(b)]
    end_url = reverse("contracts:end", args=[contract.pk])
    [link] = [a for a in detail.find_all("a", detail.main()) if a.get("href") == end_url]
    assert text(link) == "End this contract early"
    assert "govuk-link" in classes(link)

    page = Page(client.get(end_url).content)
    [submit] = page.find_all("button", page.main())
    assert "govuk-button--warning" in classes(submit)
    cancel = [a for a in page.find_all("a", page.main()) if text(a) == "Cancel"]
    assert [a.get("href") for a in cancel] == [contract.get_absolute_url()]
    assert "cannot be undone" in text(page.main())


def _radio_checked(page: str, name: str) -> str | None:
    """The value of the checked radio called ``name`` on the page (None if none is)."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checked" in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else None
    return None


def test_the_ledger_picker_fills_the_supplier_from_the_ledger(
    client: Client, officer, tmp_path: Path
) -> None:
    """Picking a ledger supplier fills the awarded supplier's fields from it (its first site
    with a postcode), so contract and ledger share one supplier; a search lists at most 20."""
    from spend.models import Supplier
    from suppliers.quality import supplier_quality_update
    from tests.ledger import Line, import_lines

    day = dt.date(2024, 5, 1)
    lines = [
        Line(1, "V100", "10.00", day, postcode="", name="Picked Care Ltd"),  # first site: none
        Line(2, "V100", "10.00", day, postcode="WA1 1AA", name="Picked Care Ltd"),
        Line(3, "V200", "10.00", day, postcode="", name="Nowhere Ltd"),
        *(Line(10 + n, f"V3{n:02d}", "5.00", day, name=f"Finder {n:02d} Ltd") for n in range(21)),
    ]
    import_lines(tmp_path, lines)
    picked = Supplier.objects.get(supplier_number="V100")
    supplier_quality_update(
        supplier=picked,
        size_band_override="",
        sme="yes",
        vcfs="no",
        company_number="01234567",
        vat_number="",
    )
    client.force_login(officer)
    url = reverse("contracts:create")
    page = client.get(url, {"ledger_supplier": str(picked.pk)}).content.decode()
    assert "filled from the ledger's <strong>Picked Care Ltd</strong>" in page
    for field, value in (
        ("name", "Picked Care Ltd"),
        ("supplier_number", "V100"),
        ("company_number", "01234567"),
        ("postcode", "WA1 1AA"),
    ):
        assert re.search(rf'name="supplier-{field}"[^>]*value="{value}"', page), field
    assert (_radio_checked(page, "supplier-sme"), _radio_checked(page, "supplier-vcfs")) == (
        "True",
        "False",
    )
    # No site with a postcode: the postcode is left blank to type in.
    nowhere = Supplier.objects.get(supplier_number="V200")
    page = client.get(url, {"ledger_supplier": str(nowhere.pk)}).content.decode()
    assert re.search(r'name="supplier-name"[^>]*value="Nowhere Ltd"', page)
    postcode = re.search(r'<input[^>]*name="supplier-postcode"[^>]*>', page)
    assert postcode is not None
    assert 'value="' not in postcode.group(0) or 'value=""' in postcode.group(0)

    # 21 suppliers match "Finder": the first 20 by name are offered.
    page = client.get(url, {"find": "Finder"}).content.decode()
    offered = re.findall(r'for="ledger-supplier-\d+">([^<]+)</label>', page)
    assert offered == [f"Finder {n:02d} Ltd" for n in range(20)]
