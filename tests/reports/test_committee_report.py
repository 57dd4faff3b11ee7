"""The committee scrutiny report built from generated extracts and a register, read back
from the PDF: figures from the generator's plan and the register rows, the incomplete year,
the empty sections, and the PDF's tagging. Section-by-section figures from rows the test
writes are in test_committee_figures.py."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from contracts.services import register_import
from demo.extracts import ExpectedTotals, GeneratorConfig, generate_extracts
from portal.formatting import financial_year_label
from spend import services as spend_services
from tests.contracts.conftest import register_row, write_csv

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 2, 15)  # extracts run to mid-February 2026
FY = 2024  # 2024/25: a whole year in the extracts, missing August 2024


def pdf_text(path: Path) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def ledger(tmp_path: Path) -> ExpectedTotals:
    """Generated extracts imported; returns what the generator planned (not the ledger)."""
    config = GeneratorConfig(
        seed=11,
        suppliers=350,
        payments_per_month=90,
        years=3,
        as_of=AS_OF,
        missing_months=((2024, 8),),
    )
    generated = generate_extracts(tmp_path / "extracts", config)
    batches = spend_services.import_paths(paths=[p for p, _ in generated.files])
    assert all(b.status == "loaded" for b in batches), [b.error for b in batches]
    return generated.expected


def build(tmp_path: Path, fy: int) -> tuple[Path, str]:
    output = tmp_path / f"committee-{fy}.pdf"
    call_command(
        "build_report", "committee", "--fy", str(fy), "--output", str(output), stdout=StringIO()
    )
    return output, pdf_text(output)


def whole_pounds(pence: int) -> str:
    return f"£{(Decimal(pence) / 100).quantize(Decimal(1), ROUND_HALF_UP):,}"


def test_a_generated_ledgers_report_is_tagged_and_says_what_is_missing(
    ledger: ExpectedTotals, tmp_path: Path
) -> None:
    # Each section's figures are checked against rows the test writes, section by section,
    # in test_committee_figures.py; here, a realistic ledger's year total and rows from the
    # generator's own plan, the incomplete year, the empty sections and the PDF's tagging.
    path, text = build(tmp_path, FY)
    label = financial_year_label(FY)
    assert f"committee scrutiny report {label}" in text
    total = ledger.spend_pence_by_fy[FY]
    assert f"In {label} the council paid {whole_pounds(total)} to " in text
    assert f" suppliers in {ledger.spend_rows_by_fy[FY]:,} payments." in text
    home = ledger.home_pence_by_fy[FY]
    assert f"2024/25* {whole_pounds(home)} {whole_pounds(total)} " in text
    assert "2024/25 is incomplete: no payments for August 2024" in text
    # Sections with nothing behind them say so rather than failing.
    assert f"No contract awards are recorded in the register for {label}" in text
    assert f"No social value commitments are recorded for {label}" in text
    assert "No self-assessment had been submitted by the council by 31 March 2025" in text
    assert "No registered contract ends in the 24 months from 31 March 2025" in text

    reader = PdfReader(path)
    assert reader.metadata is not None
    assert str(reader.metadata.title).endswith(f"committee scrutiny report {label}")
    root: Any = reader.root_object
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root
    assert len(reader.pages) >= 4
    assert "Page 2 of" in pdf_text(path)


def test_award_monitoring_and_forward_plan_come_from_the_register(tmp_path: Path) -> None:
    rows = [
        register_row(
            "LCC-FW-001",
            f"Framework supplier {n:03d}",
            **{
                "Award date": "2024-08-12",
                "Start date": "2024-09-01",
                "End date": "2026-12-31",
                "Awarded value": "3525950000.00",
                "SME": "Yes" if n % 3 else "No",
                "Supplier postcode": "PR1 2HE" if n % 2 else "LS1 4DY",
            },
        )
        for n in range(120)
    ]
    rows.append(
        register_row(
            "LCC-202405-002",
            "Small works supplier",
            **{
                "Award date": "2024-05-20",
                "Start date": "2024-06-01",
                "End date": "2027-05-31",
                "Awarded value": "250000.00",
                "SME": "Yes",
                "VCFS": "Yes",
                "Supplier postcode": "M1 1AE",
            },
        )
    )
    register_import(path=write_csv(tmp_path / "register.csv", rows))
    _, text = build(tmp_path, FY)
    # August 2024: 120 suppliers, the odd ones in Preston (home), the even in Leeds (rest of
    # the UK); SMEs where n % 3 != 0 (80); none VCFS. Worth more than half the year: "*".
    assert "Aug-24* £3,525,950,000 120 50% 0% 50% 0% 80 0" in text
    assert "May-24 £250,000 1 0% 100% 0% 0% 1 1" in text
    assert "awarded this month to 120 suppliers" in text
    assert (
        "In 2024/25 the council awarded 2 contracts worth £3,526,200,000 to 121 suppliers" in text
    )
    # The forward plan: each calendar quarter for 24 months from the year's end (the report's
    # as-at date, not the day it was built), with what ends in it; May 2027 is beyond it.
    today = dt.date(FY + 1, 3, 31)
    ends = {dt.date(2026, 12, 31): Decimal("3525950000.00"), dt.date(2027, 5, 31): Decimal(250000)}
    last = dt.date(today.year + 2, today.month, min(today.day, 28))
    year, number = today.year, (today.month - 1) // 3 + 1
    while (year, number) <= (last.year, (last.month - 1) // 3 + 1):
        first_month, last_month = dt.date(year, 3 * number - 2, 1), dt.date(year, 3 * number, 1)
        values = [
            v
            for day, v in ends.items()
            if today <= day and (day.year, (day.month - 1) // 3 + 1) == (year, number)
        ]
        label = f"{first_month:%B} to {last_month:%B %Y}"
        assert f"{label} {len(values)} {whole_pounds(int(sum(values, Decimal(0)) * 100))} 0" in text
        year, number = year + number // 4, number % 4 + 1
    assert "in the 24 months from 31 March 2025" in text
    assert "April to June 2027" not in text


def test_a_year_with_no_data_at_all_still_builds(tmp_path: Path) -> None:
    _, text = build(tmp_path, 2019)
    assert "The ledger holds no payments for 2019/20" in text
    assert "No contract awards are recorded in the register for 2019/20" in text
    assert "Procurement Act 2023 notices" in text
    assert "No Procurement Act notice was published in 2019/20" in text
