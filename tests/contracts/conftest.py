"""Register files for the contract tests, written in the register layout."""

import csv
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts.layout import COLUMNS

# Postcodes with known classes under the default settings (Lancashire 12, North West).
HOME = ["PR1 2HE", "LA1 1QS", "BB11 1AA", "PR7 1DP", "L39 2DE", "FY8 1AA"]
REGION = ["M1 1AE", "L3 9PP", "CA1 1RR", "BB2 1AA", "FY1 1AA", "WA1 1AA"]
ELSEWHERE = ["LS1 4DY", "CF10 1EP", "G1 1XQ", "SW1A 2AA", "NG1 5FW"]
UNKNOWN = ["", "ZZ9 9ZZ"]


def register_row(reference: str, supplier: str, **values: Any) -> dict[str, str]:
    row = {
        "Reference": reference,
        "Title": f"Contract {reference}",
        "Description": "Services",
        "Department": "Adult Services",
        "Category": "Care and Public Health",
        "Procurement route": "Open",
        "CPV code": "85000000",
        "Supplier name": supplier,
        "Supplier number": "",
        "Company number": "",
        "Charity number": "",
        "Supplier postcode": "PR1 2HE",
        "SME": "No",
        "VCFS": "No",
        "Award date": "2023-04-10",
        "Start date": "2023-05-01",
        "End date": "2025-04-30",
        "Review date": "",
        "Awarded value": "100000.00",
        "VAT not recoverable": "0.00",
        "Framework": "No",
        "PPON": "",
    }
    row.update({key: str(value) for key, value in values.items()})
    return row


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def year_of_awards(seed: int = 7) -> list[dict[str, str]]:
    """A financial year (2023/24) of awards like the committee report's: a few contracts a
    month, and in August 2023 a framework awarded to 129 suppliers worth £3.5bn."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    months = [date(2023 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    number = 0
    for month in months:
        for _ in range(rng.randint(2, 5)):
            number += 1
            reference = f"LCC-{month:%Y%m}-{number:03d}"
            award = month + timedelta(days=rng.randint(0, 27))
            value = Decimal(rng.randint(20_000, 9_000_000)) + Decimal("0.50")
            end = award + timedelta(days=30 + 365 * rng.randint(1, 4))
            for s in range(rng.randint(1, 4)):
                postcode = rng.choice(HOME + REGION + ELSEWHERE + UNKNOWN)
                rows.append(
                    register_row(
                        reference,
                        f"Supplier {number:03d}-{s}",
                        **{
                            "Award date": award.isoformat(),
                            "Start date": (award + timedelta(days=30)).isoformat(),
                            "End date": end.isoformat(),
                            "Awarded value": f"{value}",
                            "Supplier postcode": postcode,
                            "SME": rng.choice(["Yes", "No", ""]),
                            "VCFS": rng.choice(["Yes", "No"]),
                            "Company number": f"{rng.randint(1, 99_999_999):08d}",
                            "Supplier number": f"S{rng.randint(1000, 99999)}",
                        },
                    )
                )
    for s in range(129):
        rows.append(
            register_row(
                "LCC-PDPS-LWAH",
                f"Home care provider {s:03d}",
                **{
                    "Title": "Living Well at Home PDPS",
                    "Procurement route": "Open",
                    "Award date": "2023-08-14",
                    "Start date": "2023-09-01",
                    "End date": "2027-08-31",
                    "Awarded value": "3525950000.00",
                    "Framework": "Yes",
                    "Supplier postcode": (HOME * 11 + REGION * 3 + ELSEWHERE * 3 + UNKNOWN)[s % 74],
                    "SME": "Yes" if s % 3 else "No",
                    "VCFS": "Yes" if s % 40 == 0 else "No",
                },
            )
        )
    return rows


@pytest.fixture
def year_rows() -> list[dict[str, str]]:
    return year_of_awards()


@pytest.fixture
def year_file(tmp_path: Path, year_rows: list[dict[str, str]]) -> Path:
    return write_csv(tmp_path / "register.csv", year_rows)


# The new-contract form as an officer fills it in (contract fields, then the first supplier).
CONTRACT = {
    "reference": "NEW-1",
    "title": "Grounds maintenance",
    "description": "",
    "department": "Highways",
    "category": "Construction and Assets",
    "procurement_route": "Open",
    "cpv_code": "77310000",
    "award_date": "2024-04-02",
    "start_date": "2024-05-01",
    "end_date": "2027-04-30",
    "review_date": "",
    "awarded_value": "450000",
    "vat_not_recoverable": "0",
    "framework": "False",
    "reprocurement_started": "False",
    "status": "registered",
    "supplier-name": "Green Spaces Ltd",
    "supplier-supplier_number": "S123",
    "supplier-company_number": "1234567",
    "supplier-charity_number": "",
    "supplier-postcode": "pr1 2he",
    "supplier-sme": "true",
    "supplier-vcfs": "false",
}
