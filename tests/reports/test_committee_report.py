"""The committee scrutiny report: built from imported extracts and a register, read back from
the PDF, and every figure the selectors give found in it, formatted as on the pages."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from contracts import selectors as contract_selectors
from contracts.services import register_import
from portal.formatting import financial_year_label, month_label, pounds
from spend import selectors as spend
from spend import services as spend_services
from spend.ingest.generate import GeneratorConfig, generate_extracts
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
def ledger(tmp_path: Path) -> None:
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


def build(tmp_path: Path, fy: int) -> tuple[Path, str]:
    output = tmp_path / f"committee-{fy}.pdf"
    call_command(
        "build_report", "committee", "--fy", str(fy), "--output", str(output), stdout=StringIO()
    )
    return output, pdf_text(output)


def test_every_spend_figure_of_the_selectors_is_in_the_pdf(ledger: None, tmp_path: Path) -> None:
    path, text = build(tmp_path, FY)
    label = financial_year_label(FY)
    assert f"committee scrutiny report {label}" in text
    assert f"the council paid {pounds(spend.spend_total(FY))}" in text
    assert (
        f"to {spend.suppliers_paid(FY):,} suppliers in {spend.payment_count(FY):,} payments" in text
    )
    top = spend.top_suppliers(FY, 20)
    assert len(top) == 20
    for supplier in top:
        assert pounds(supplier.total_pence) in text
        assert supplier.name.split()[0] in text
    tail = spend.tail_spend(FY)
    top40 = spend.top_suppliers_share(FY, 40)
    assert f"account for {pounds(top40.total_pence)}" in text
    assert f"{tail.suppliers:,} suppliers" in text
    assert f"at a value of {pounds(tail.total_pence)}" in text
    for month in spend.spend_by_month(FY):
        assert f"{month_label(month.month)} {pounds(month.total_pence)}" in text
    # Five years of locality, with the incomplete year marked and explained.
    rows = spend.locality_by_year(range(FY - 4, FY + 1))
    assert {r.fy for r in rows} == {2023, 2024}
    for row in rows:
        marker = "*" if row.incomplete else ""
        shown = pounds(row.shown_home_pence)
        share = "-" if row.home_share is None else f"{row.home_share}%"
        assert (
            f"{financial_year_label(row.fy)}{marker} {shown} {pounds(row.total_pence)} "
            f"{share}" in text
        )
    assert "2024/25 is incomplete: no payments for August 2024" in text
    # Sections with nothing behind them say so rather than failing.
    assert f"No contract awards are recorded in the register for {label}" in text
    assert f"No social value commitments are recorded for {label}" in text
    assert "No self-assessment has been submitted by the council yet" in text
    assert "No registered contract ends in the next 24 months" in text

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
    monitoring = contract_selectors.award_monitoring(FY)
    assert monitoring.year.suppliers == 121
    august = next(f for f in monitoring.months if f.month == dt.date(2024, 8, 1))
    assert august.marker == "*"
    assert (
        f"Aug-24* £3,525,950,000 120 {august.pct_home}% {august.pct_region}% "
        f"{august.pct_elsewhere}% {august.sme} {august.vcfs}" in text
    )
    assert "May-24 £250,000 1 0% 100% 0% 1 1" in text
    assert "awarded this month to 120 suppliers" in text
    # The forward plan: the quarters of the next 24 months with the contracts ending in them.
    for quarter in contract_selectors.forward_plan(dt.date.today()):
        value = pounds(int(quarter.value * 100))
        assert (
            f"{quarter.quarter.label} {len(quarter.contracts)} {value} "
            f"{quarter.reprocurement_started}" in text
        )


def test_a_year_with_no_data_at_all_still_builds(tmp_path: Path) -> None:
    _, text = build(tmp_path, 2019)
    assert "The ledger holds no payments for 2019/20" in text
    assert "No contract awards are recorded in the register for 2019/20" in text
    assert "Procurement Act 2023 notices" in text
    assert "No Procurement Act notice was published in 2019/20" in text
