"""Companies House enrichment from a generated file with the real header and its quirks."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Job
from spend.models import CompaniesHouseRecord, Supplier
from suppliers import quality, selectors
from tests.suppliers.test_quality import load, row

pytestmark = pytest.mark.django_db

# BasicCompanyDataAsOneFile's header as published: some names begin with a space.
CH_HEADER = [
    "CompanyName",
    " CompanyNumber",
    "RegAddress.CareOf",
    "RegAddress.POBox",
    "RegAddress.AddressLine1",
    " RegAddress.AddressLine2",
    "RegAddress.PostTown",
    "RegAddress.County",
    "RegAddress.Country",
    "RegAddress.PostCode",
    "CompanyCategory",
    "CompanyStatus",
    "CountryOfOrigin",
    "DissolutionDate",
    "IncorporationDate",
    "Accounts.AccountRefDay",
    "Accounts.AccountRefMonth",
    "Accounts.NextDueDate",
    "Accounts.LastMadeUpDate",
    "Accounts.AccountCategory",
    "Returns.NextDueDate",
    "Returns.LastMadeUpDate",
    "Mortgages.NumMortCharges",
    "Mortgages.NumMortOutstanding",
    "Mortgages.NumMortPartSatisfied",
    "Mortgages.NumMortSatisfied",
    "SICCode.SicText_1",
    "SICCode.SicText_2",
    "SICCode.SicText_3",
    "SICCode.SicText_4",
    "LimitedPartnerships.NumGenPartners",
    "LimitedPartnerships.NumLimPartners",
    "URI",
    *[f"PreviousName_{n}.{part}" for n in range(1, 11) for part in ("CONDATE", "CompanyName")],
    "ConfStmtNextDueDate",
    " ConfStmtLastMadeUpDate",
]


def company(
    name: str,
    number: str,
    postcode: str,
    accounts: str,
    category: str = "Private Limited Company",
    status: str = "Active",
    sic: tuple[str, ...] = ("62012 - Business and domestic software development",),
) -> list[str]:
    cells = dict.fromkeys((h.strip() for h in CH_HEADER), "")
    cells.update(
        {
            "CompanyName": name,
            "CompanyNumber": number,
            "RegAddress.AddressLine1": "1 High St",
            "RegAddress.PostTown": "PRESTON",
            "RegAddress.PostCode": postcode,
            "CompanyCategory": category,
            "CompanyStatus": status,
            "CountryOfOrigin": "United Kingdom",
            "IncorporationDate": "01/02/2003",
            "Accounts.AccountCategory": accounts,
            "URI": f"http://business.data.gov.uk/id/company/{number}",
        }
    )
    for n, text in enumerate(sic, start=1):
        cells[f"SICCode.SicText_{n}"] = text
    return [cells[h.strip()] for h in CH_HEADER]


def write_ch(path: Path, companies: list[list[str]], noise: int = 500) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CH_HEADER)
    for n in range(noise):
        writer.writerow(
            company(f"NOISE COMPANY {n} LIMITED", f"{90000000 + n}", "SW1A 1AA", "FULL")
        )
    for cells in companies:
        writer.writerow(cells)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))  # with a BOM
    return path


@pytest.fixture
def suppliers(tmp_path: Path) -> dict[str, Supplier]:
    load(
        tmp_path,
        "spend.csv",
        [
            row(1, "1000.00", "S1", "Acme Widgets Ltd", zip_code="PR1 2HE"),
            row(2, "2000.00", "S2", "Preston Plumbing Limited", zip_code="PR7 1DP"),
            row(3, "3000.00", "S3", "Blackpool Community Cafe CIC", zip_code="FY1 1AA"),
            row(4, "4000.00", "S4", "Same Name Elsewhere Ltd", zip_code="BB1 1AA"),
            row(5, "5000.00", "S5", "Big Facilities Group PLC", zip_code="M3 3HF"),
            row(6, "6000.00", "S6", "Nobody Matches Ltd", zip_code="LA1 1AA"),
        ],
    )
    found = {s.supplier_number: s for s in Supplier.objects.all()}
    Supplier.objects.filter(pk=found["S1"].pk).update(company_number="1234567")
    Supplier.objects.filter(pk=found["S5"].pk).update(company_number="sc123456")
    return found


def ch_file(tmp_path: Path) -> Path:
    return write_ch(
        tmp_path / "BasicCompanyDataAsOneFile-2025-01-01.csv",
        [
            # By company number (the supplier wrote it without the leading zero).
            company("ACME WIDGETS LIMITED", "01234567", "PR1 2HE", "MICRO ENTITY"),
            # By name and postcode: the key matches and the registered office is a paid site.
            company("PRESTON PLUMBING LTD", "07654321", "PR7 1DP", "TOTAL EXEMPTION SMALL"),
            company(
                "BLACKPOOL COMMUNITY CAFE C.I.C.",
                "11111111",
                "FY1 1AA",
                "UNAUDITED ABRIDGED",
                category="Community Interest Company",
            ),
            # Same name key, but the registered office is not one of the supplier's sites.
            company("SAME NAME ELSEWHERE LIMITED", "22222222", "SW1A 2AA", "MEDIUM"),
            company(
                "BIG FACILITIES GROUP PLC",
                "SC123456",
                "EH1 1AA",
                "GROUP",
                category="Public Limited Company",
                sic=("81100 - Combined facilities support activities", "None Supplied"),
            ),
        ],
    )


def test_enrichment_from_a_companies_house_shaped_file(
    suppliers, tmp_path: Path, administrator
) -> None:
    ch_import = quality.companies_house_paths(path=ch_file(tmp_path), user=administrator)
    assert ch_import.job is not None
    assert ch_import.job.status == Job.Status.SUCCEEDED, ch_import.job.error
    assert ch_import.rows_read == 505
    assert ch_import.matched_by_number == 2
    assert ch_import.matched_by_name == 2
    records = {
        r.supplier.supplier_number: r
        for r in CompaniesHouseRecord.objects.select_related("supplier")
    }
    assert set(records) == {"S1", "S2", "S3", "S5"}
    acme = records["S1"]
    assert (acme.company_number, acme.company_name, acme.status, acme.reg_postcode) == (
        "01234567",
        "ACME WIDGETS LIMITED",
        "Active",
        "PR1 2HE",
    )
    assert acme.accounts_category == "MICRO ENTITY"
    assert acme.size_band == "micro"
    assert acme.matched_by == "number"
    assert acme.sic_codes == ["62012 - Business and domestic software development"]
    assert records["S2"].matched_by == "name"
    assert records["S5"].sic_codes == [
        "81100 - Combined facilities support activities",
        "None Supplied",
    ]
    by_number = {s.supplier_number: s for s in Supplier.objects.all()}
    assert (by_number["S1"].size_band, by_number["S1"].is_sme) == ("micro", True)
    # A name match fills in the company number.
    assert by_number["S2"].company_number == "07654321"
    assert (by_number["S2"].size_band, by_number["S2"].is_sme) == ("small", True)
    assert (by_number["S3"].is_sme, by_number["S3"].is_vcfs) == (True, True)
    assert (by_number["S5"].size_band, by_number["S5"].is_sme, by_number["S5"].is_vcfs) == (
        "large",
        False,
        False,
    )
    assert by_number["S4"].company_number == ""
    assert by_number["S6"].size_band == ""


def test_officer_overrides_survive_a_later_file(suppliers, tmp_path: Path) -> None:
    acme = suppliers["S1"]
    acme.refresh_from_db()
    quality.supplier_quality_update(
        supplier=acme,
        size_band_override="medium",
        sme="no",
        vcfs="auto",
        company_number=acme.company_number,
        vat_number="",
    )
    quality.companies_house_paths(path=ch_file(tmp_path))
    acme.refresh_from_db()
    assert acme.companies_house.size_band == "micro"
    assert (acme.size_band, acme.is_sme, acme.sme_set_by_officer) == ("medium", False, True)
    # Back to automatic: the Companies House band decides again.
    quality.supplier_quality_update(
        supplier=acme,
        size_band_override="",
        sme="auto",
        vcfs="auto",
        company_number=acme.company_number,
        vat_number="",
    )
    acme.refresh_from_db()
    assert (acme.size_band, acme.is_sme) == ("micro", True)


def test_a_zipped_file_is_read_from_inside(suppliers, tmp_path: Path) -> None:
    csv_path = ch_file(tmp_path)
    zipped = tmp_path / "BasicCompanyDataAsOneFile-2025-01-01.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv_path, csv_path.name)
    ch_import = quality.companies_house_paths(path=zipped)
    assert ch_import.matched_by_number + ch_import.matched_by_name == 4


def test_a_file_without_the_columns_fails_with_a_reason(suppliers, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Name,Number\nACME,1\n")
    ch_import = quality.companies_house_paths(path=path)
    assert ch_import.job is not None
    assert ch_import.job.status == Job.Status.FAILED
    assert "CompanyNumber" in ch_import.job.error
    assert "CompanyNumber" in ch_import.error
    assert not CompaniesHouseRecord.objects.exists()


@pytest.mark.parametrize(
    ("category", "band"),
    [
        ("MICRO ENTITY", "micro"),
        ("SMALL", "small"),
        ("TOTAL EXEMPTION SMALL", "small"),
        ("TOTAL EXEMPTION FULL", "small"),
        ("UNAUDITED ABRIDGED", "small"),
        ("MEDIUM", "medium"),
        ("FULL", "large"),
        ("GROUP", "large"),
        ("DORMANT", "unknown"),
        ("NO ACCOUNTS FILED", "unknown"),
        ("AUDIT EXEMPTION SUBSIDIARY", "unknown"),
        ("", "unknown"),
        ("something new", "unknown"),
        (" micro  entity ", "micro"),
    ],
)
def test_size_band_table(category: str, band: str) -> None:
    assert quality.size_band_for(category) == band


def test_size_and_head_office_figures(suppliers, tmp_path: Path) -> None:
    quality.companies_house_paths(path=ch_file(tmp_path))
    bands, sme, total = selectors.spend_by_size(2021)
    assert total == 21000_00
    by_band = {r.band: r.total_pence for r in bands}
    assert by_band == {
        "micro": 1000_00,
        "small": 5000_00,
        "medium": 0,
        "large": 5000_00,
        "unknown": 10000_00,
    }
    assert {r.sme: r.total_pence for r in sme} == {
        "yes": 6000_00,
        "no": 5000_00,
        "unknown": 10000_00,
    }
    rows, total = selectors.locality_by_head_office(2021)
    site = {r.locality: r.site_pence for r in rows}
    office = {r.locality: r.office_pence for r in rows}
    assert sum(site.values()) == sum(office.values()) == total
    # Big Facilities is paid in Manchester (region) but registered in Edinburgh (rest of UK);
    # Blackpool and Blackburn are in the region but not the home area.
    assert site["region"] == 5000_00 + 3000_00 + 4000_00
    assert site["uk"] == 0
    assert office["uk"] == 5000_00
    assert office["region"] == 3000_00
    # S4 and S6 have no Companies House record: their spend's head office is unknown.
    assert office["unknown"] == 10000_00


def test_admin_uploads_the_file_and_readers_see_the_figures(
    suppliers, tmp_path: Path, administrator, councillor, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(administrator)
    url = reverse("suppliers:companies-house")
    assert client.get(url).status_code == 200
    with ch_file(tmp_path).open("rb") as upload, django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"data_file": upload})
    assert response.status_code == 302
    job = Job.objects.get(kind=quality.COMPANIES_HOUSE_JOB_KIND)
    from portal.services import job_run

    job_run(job_id=job.pk)
    assert CompaniesHouseRecord.objects.count() == 4
    page = client.get(url)
    assert "4 of 6 suppliers are matched" in page.content.decode()
    reader = Client()
    reader.force_login(councillor)
    size = reader.get(reverse("suppliers:size"), {"fy": 2021}).content.decode()
    assert "£1,000" in size
    assert "Micro" in size
    locality = reader.get(reverse("suppliers:locality"), {"fy": 2021}).content.decode()
    assert "£5,000" in locality
