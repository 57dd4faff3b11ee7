"""Registers in councils' own headings: synonyms, title rows, council date formats, every
sheet of a workbook, multi-line cells, and the saved column mapping for headings no synonym
knows (the spend uploads' mapping flow)."""

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from contracts import layout, services
from contracts.models import AwardedSupplier, Contract, RegisterColumnMapping, RegisterUpload
from portal.models import Job
from portal.services import job_run

pytestmark = pytest.mark.django_db

COUNCIL_HEADINGS = [
    "Contract Ref:",
    "Title",
    "Directorate",
    "Contractor/Provider",
    "Original Start/Commencement Date",
    "Original End Date",
    "Current end date",
    "Est Total Awarded Contract value £'s (exc VAT)",
    "SME (Y/N)",
]


def test_a_workbook_in_council_headings_with_title_rows_reads_every_sheet(
    tmp_path: Path,
) -> None:
    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = "Contents"
    contents.append(["Contract register: one sheet per directorate"])
    corporate = book.create_sheet("Corporate")
    corporate.append(["Lancashire County Council"])
    corporate.append(["Contract register as at 31 March 2024"])
    corporate.append([])
    corporate.append(COUNCIL_HEADINGS)
    corporate.append(
        [
            "LCC/CORP/001",
            "Banking services",
            "Resources",
            "Barclays Bank UK plc",
            datetime(2023, 4, 3),
            datetime(2026, 4, 2),
            datetime(2027, 4, 2),
            250000,
            "N",
        ]
    )
    care = book.create_sheet("Care")
    care.append(["Adult social care contracts"])
    care.append(COUNCIL_HEADINGS)
    # Excel serials where the cells were not formatted as dates; text money with £ and commas.
    care.append(
        [
            "LCC/ASC/014",
            "Home care",
            "Adult Services",
            "Care Co Ltd",
            45019,
            45749,
            "",
            "£1,250,000.50",
            "Y",
        ]
    )
    care.append(
        [
            "LCC/ASC/014",
            "Home care",
            "Adult Services",
            "Helping Hands",
            45019,
            45749,
            "",
            "£1,250,000.50",
            "Y",
        ]
    )
    path = tmp_path / "register.xlsx"
    book.save(path)

    result = services.register_import(path=path)
    assert Contract.objects.count() == 2
    banking = Contract.objects.get(reference="LCC/CORP/001")
    assert banking.department == "Resources"
    assert banking.start_date == date(2023, 4, 3)
    assert banking.end_date == date(2027, 4, 2)  # the current end date, not the original
    assert banking.awarded_value == Decimal("250000.00")
    assert banking.award_date == banking.start_date  # no award date column: said so below
    care_contract = Contract.objects.get(reference="LCC/ASC/014")
    assert care_contract.start_date == date(2023, 4, 3)  # serial 45019
    assert care_contract.end_date == date(2025, 4, 2)  # serial 45749 (the original end date)
    assert care_contract.awarded_value == Decimal("1250000.50")
    assert set(care_contract.suppliers.values_list("name", flat=True)) == {
        "Care Co Ltd",
        "Helping Hands",
    }
    assert set(AwardedSupplier.objects.values_list("sme", flat=True)) == {True, False}
    assert any("sheet 'Contents': not read" in note for note in result.notes)
    assert any("no 'Award date' column: 'Start date' was used" in note for note in result.notes)


def test_a_csv_with_council_dates_and_multi_line_cells(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", newline="", encoding="cp1252") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Hyndburn Borough Council - contracts over £5,000"])
        writer.writerow(
            [
                "Reference",
                "Contract Title",
                "Description",
                "Service",
                "Supplier",
                "Award date",
                "Start date",
                "End date",
                "Contract Value",
            ]
        )
        writer.writerow(
            [
                "H-1",
                "Grounds",
                "Parks across the county\r\nLot 2 cemeteries",
                "Environment",
                "Green Ltd",
                "3 Apr 2023",
                "03/04/23",
                "31-Mar-2026",
                "£12,500",
            ]
        )
        writer.writerow(
            [
                "H-2",
                "Audit",
                "",
                "Finance",
                "Beever and Struthers, Chartered Accountants",
                "1st May 2023",
                "2023-05-01",
                "Ongoing",
                "9,999.99",
            ]
        )
    services.register_import(path=path)
    grounds = Contract.objects.get(reference="H-1")
    assert grounds.description == "Parks across the county\nLot 2 cemeteries"
    assert grounds.award_date == date(2023, 4, 3)
    assert grounds.start_date == date(2023, 4, 3)
    assert grounds.end_date == date(2026, 3, 31)
    assert grounds.awarded_value == Decimal("12500.00")
    audit = Contract.objects.get(reference="H-2")
    assert audit.award_date == date(2023, 5, 1)
    assert audit.end_date is None  # "Ongoing": no end date, not a guess
    assert audit.suppliers.get().name == "Beever and Struthers, Chartered Accountants"


def test_council_date_formats() -> None:
    for text, expected in {
        "3 Apr 2023": date(2023, 4, 3),
        "03/04/23": date(2023, 4, 3),
        "03/04/2023": date(2023, 4, 3),
        "2023-04-03": date(2023, 4, 3),
        "3 April 2023": date(2023, 4, 3),
        "03-Apr-23": date(2023, 4, 3),
        "03.04.2023": date(2023, 4, 3),
        "45019": date(2023, 4, 3),
        "2023-04-03 00:00:00": date(2023, 4, 3),
    }.items():
        assert layout.clean_date(text) == expected, text
    for text in ("31/02/2023", "01/01/0001", "99999", "yesterday"):
        with pytest.raises(ValueError, match=r"date|year"):
            layout.clean_date(text)


def test_a_pseudo_supplier_row_makes_a_draft_to_complete(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COUNCIL_HEADINGS)
        writer.writerow(
            ["R-1", "Cleaning", "Resources", "TBC", "01/04/2024", "", "31/03/2025", "5000", ""]
        )
        writer.writerow(
            ["R-2", "Printing", "Resources", "Various", "01/04/2024", "", "31/03/2025", "800", ""]
        )
    result = services.register_import(path=path)
    assert not AwardedSupplier.objects.exists()
    assert list(Contract.objects.values_list("status", flat=True)) == [Contract.Status.DRAFT] * 2
    assert "'TBC'" in Contract.objects.get(reference="R-1").needs_attention
    assert len(result.flagged) == 2


ODD = ["Agreement code", "Agreement", "Team", "Firm", "Begins", "Finishes", "Worth"]


def _odd_file(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ODD)
        writer.writerows(rows)
    return path


def _upload(client: Client, path: Path) -> RegisterUpload:
    with path.open("rb") as handle:
        response = client.post(reverse("contracts:import"), {"file": handle})
    assert response.status_code == 302
    upload = RegisterUpload.objects.order_by("-pk").first()
    assert upload is not None
    assert upload.job is not None
    job_run(job_id=upload.job.pk)  # what the worker does
    upload.refresh_from_db()
    return upload


def test_map_the_columns_once_then_files_with_the_same_headings_import_by_themselves(
    tmp_path: Path, officer, client: Client, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(officer)
    first = _odd_file(
        tmp_path / "q1.csv",
        [["A-1", "Waste", "Environment", "Biffa", "01/04/2024", "31/03/2027", "3000000"]],
    )
    upload = _upload(client, first)
    assert upload.status == RegisterUpload.Status.FAILED
    assert upload.path.is_file()  # kept, to map and run again
    assert upload.job is not None
    job = Job.objects.get(pk=upload.job.pk)
    assert "no heading row" in job.error or "no column" in job.error

    page = client.get(reverse("contracts:import-mapping", args=[upload.pk])).content.decode()
    for heading in ODD:
        assert heading in page
    response = client.post(
        reverse("contracts:import-mapping", args=[upload.pk]),
        {
            "name": "Environment contracts",
            "reference": "Agreement code",
            "title": "Agreement",
            "department": "Team",
            "supplier_name": "Firm",
            "start_date": "Begins",
            "end_date": "Finishes",
            "awarded_value": "Worth",
        },
    )
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.job is not None
    job_run(job_id=upload.job.pk)
    upload.refresh_from_db()
    assert upload.status == RegisterUpload.Status.IMPORTED, upload.error
    assert Job.objects.get(pk=upload.job.pk).status == Job.Status.SUCCEEDED
    assert not upload.path.exists()  # let go once imported
    summary = client.get(reverse("contracts:import-detail", args=[upload.pk])).content.decode()
    assert "1 new, 0 updated" in summary
    waste = Contract.objects.get(reference="A-1")
    assert waste.awarded_value == Decimal("3000000.00")
    assert waste.end_date == date(2027, 3, 31)
    assert RegisterColumnMapping.objects.get().name == "Environment contracts"

    second = _odd_file(
        tmp_path / "q2.csv",
        [["A-2", "Recycling", "Environment", "Suez", "01/07/2024", "30/06/2026", "750000"]],
    )
    assert _upload(client, second).status == RegisterUpload.Status.IMPORTED
    assert Contract.objects.get(reference="A-2").suppliers.get().name == "Suez"


def test_a_councils_own_words_are_kept_out_said_or_flagged_never_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Contract Reference No",
                "Contract Title",
                "Category",
                "Procurement Method",
                "Awarded To",
                "Company Registration Number",
                "Contract Start",
                "Contract End",
                "Whole Life Value",
            ]
        )
        writer.writerow(
            [
                "K-1",
                "Cleaning",
                "Services",
                "Open Tender",
                "Clean Co",
                "N/A",
                "01/04/2024",
                "31/03/2026",
                "£1.2m",
            ]
        )
        writer.writerow(
            [
                "K-2",
                "Catering",
                "Services",
                "Mini competition",
                "",
                "01234567",
                "01/04/2024",
                "31/03/2026",
                "250k",
            ]
        )
        writer.writerow(
            [
                "K-3",
                "Legal",
                "Professional",
                "Framework",
                "Law LLP",
                "",
                "01/04/2024",
                "31/03/2026",
                "TBC",
            ]
        )
    result = services.register_import(path=path)
    cleaning = Contract.objects.get(reference="K-1")
    assert cleaning.awarded_value == Decimal("1200000.00")
    assert cleaning.procurement_route == "Open"
    assert cleaning.category == ""
    assert cleaning.status == Contract.Status.REGISTERED
    assert cleaning.suppliers.get().company_number == ""
    catering = Contract.objects.get(reference="K-2")
    assert catering.awarded_value == Decimal("250000.00")
    assert catering.procurement_route == "Call-off from framework"
    assert catering.status == Contract.Status.DRAFT  # no supplier named
    assert not catering.suppliers.exists()
    legal = Contract.objects.get(reference="K-3")
    assert legal.status == Contract.Status.DRAFT  # no value given
    assert legal.awarded_value == Decimal("0.00")
    assert "no awarded value ('TBC')" in legal.needs_attention
    assert any("Category 'Services' (line 2, line 3)" in note for note in result.notes)
    assert any("Procurement route 'Framework' (line 4)" in note for note in result.notes)
    # A value that is neither a figure nor "none given" is still refused, naming the place.
    with path.open("a", newline="") as handle:
        csv.writer(handle).writerow(
            ["K-4", "Audit", "", "", "Audit Ltd", "", "01/04/2024", "31/03/2026", "about a million"]
        )
    with pytest.raises(layout.LayoutError, match=r"line 5, column 'Awarded value'"):
        services.register_import(path=path)


def test_note_and_total_lines_under_a_register_are_listed_not_read(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Reference", "Title", "Supplier", "Start date", "Value", "SME"])
        writer.writerow(["N-1", "Printing", "Print Co", "01/04/2024", "8000", "Yes - small"])
        writer.writerow(["Total", "", "", "", "8000", ""])
        writer.writerow(["Data correct as at 31 March 2024", "", "", "", "", ""])
    result = services.register_import(path=path)
    assert Contract.objects.get().reference == "N-1"
    assert AwardedSupplier.objects.get().sme is True
    assert "line 3: not a contract, not read ('Total')." in result.notes
    assert "line 4: not a contract, not read ('Data correct as at 31 March 2024')." in result.notes
