"""The spend parser against the format samples and real published spend files.

Every expected figure here is worked out in the test from the raw cells (csv module or
openpyxl, and Decimal), never by the parser's own functions, so a parser bug cannot
hide behind itself.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from spend.ingest.errors import ImportRejected
from spend.ingest.parse import Payment, iter_payments, read_all
from tests.conftest import DATA_DIR

SAMPLES = DATA_DIR / "samples"
REALDATA = DATA_DIR


# ---------------------------------------------------------------------------
# Independent readings of the raw files
# ---------------------------------------------------------------------------


def pence_from_text(text: str) -> int:
    """Amount text to pence, written separately from the parser (Decimal, no shortcuts)."""
    value = text.strip().replace(",", "").replace("£", "")
    sign = 1
    if value.endswith("-"):
        sign, value = -1, value[:-1]
    amount = Decimal(value) * 100
    assert amount == amount.to_integral_value(), text
    return sign * int(amount)


def pence_from_cell(value: object) -> int:
    if isinstance(value, int):
        return value * 100
    assert isinstance(value, float), value
    return int((Decimal(repr(value)) * 100).quantize(Decimal(1)))


def raw_csv_rows(
    path: Path, encoding: str, header_starts: str
) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle))
    start = next(
        i for i, row in enumerate(rows) if row and row[0].lstrip("\ufeff") == header_starts
    )
    return rows[start], rows[start + 1 :]


def totals(payments: list[Payment]) -> tuple[int, int, Counter[dt.date]]:
    by_date: Counter[dt.date] = Counter()
    for p in payments:
        by_date[p.payment_date] += p.amount_pence
    return len(payments), sum(p.amount_pence for p in payments), by_date


# ---------------------------------------------------------------------------
# Format samples
# ---------------------------------------------------------------------------


def test_r12_sample_totals_match_raw_cells() -> None:
    path = SAMPLES / "r12_paid_invoices_sample.csv"
    header, rows = raw_csv_rows(path, "cp1252", "ORG_ID")
    amount = header.index("AMOUNT")
    check_date = header.index("CHECK_DATE")
    expected: Counter[dt.date] = Counter()
    for row in rows:
        expected[dt.datetime.strptime(row[check_date], "%d-%b-%y").date()] += pence_from_text(
            row[amount]
        )

    meta, payments = read_all(path, path.name)

    assert meta.layout == "r12"
    assert meta.encoding == "cp1252"
    assert totals(payments) == (len(rows), sum(expected.values()), expected)
    first = payments[0]
    assert first.natural_key == "r12|9017334|1"
    assert first.description == "Payment re provisions \u2013 \u00a3 ref 517322"
    assert first.line_number == 2
    assert {p.layout for p in payments} == {"r12"}


def test_fusion_csv_sample_skips_title_lines_and_report_total() -> None:
    path = SAMPLES / "fusion_paid_invoices_sample.csv"
    header, rows = raw_csv_rows(path, "utf-8-sig", "Business Unit")
    data = [row for row in rows if row and row[0] != "Report Total"]
    amount = header.index("Paid Amount")
    paid = header.index("Payment Date")
    expected: Counter[dt.date] = Counter()
    for row in data:
        expected[dt.date.fromisoformat(row[paid])] += pence_from_text(row[amount])

    meta, payments = read_all(path, path.name)

    assert (meta.layout, meta.encoding, meta.header_line) == ("fusion", "utf-8-sig", 3)
    assert totals(payments) == (len(data), sum(expected.values()), expected)
    assert meta.skipped_rows == 1  # the Report Total line
    assert meta.skipped_lines == [4 + len(data)]
    assert payments[0].line_number == 4
    assert payments[0].natural_key == "fusion|579808|P9079856|1"


def test_fusion_xlsx_sample_totals_match_raw_cells() -> None:
    path = SAMPLES / "fusion_paid_invoices_sample.xlsx"
    sheet = openpyxl.load_workbook(path).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    amount, paid = header.index("Paid Amount"), header.index("Payment Date")
    expected: Counter[dt.date] = Counter()
    for row in values[1:]:
        expected[row[paid].date()] += pence_from_cell(row[amount])

    meta, payments = read_all(path, path.name)

    assert (meta.layout, meta.kind) == ("fusion", "xlsx")
    assert totals(payments) == (len(values) - 1, sum(expected.values()), expected)
    # Numbers held as numbers in the sheet become keys without a spurious ".0".
    assert payments[0].natural_key == "fusion|580548|P9080596|1"
    assert payments[0].postcode == "WA1 1UG"  # ' WA1  1UG ' in the cell
    assert payments[0].invoice_date == dt.date(2023, 6, 23)


def test_samples_postcodes_are_normalised() -> None:
    _, payments = read_all(SAMPLES / "r12_paid_invoices_sample.csv", "r12.csv")
    by_line = {p.line_number: p for p in payments}
    raw_rows = raw_csv_rows(SAMPLES / "r12_paid_invoices_sample.csv", "cp1252", "ORG_ID")[1]
    zip_index = 9
    for line, row in enumerate(raw_rows, start=2):
        compact = "".join(row[zip_index].split()).upper()
        assert by_line[line].postcode == f"{compact[:-3]} {compact[-3:]}"
        assert by_line[line].district == compact[:-3]


# ---------------------------------------------------------------------------
# Real published spend files
# ---------------------------------------------------------------------------


def test_hyndburn_cp1252_trailing_minus_two_digit_years_and_embedded_newlines() -> None:
    path = REALDATA / "spend_hyndburn_borough_council" / "hyndburn-spend-over-250-November-25.csv"
    header, rows = raw_csv_rows(path, "cp1252", "Department Area")
    amount, paid = header.index("Amount Paid"), header.index("Payment Date")
    data = [row for row in rows if any(cell.strip() for cell in row)]
    expected: Counter[dt.date] = Counter()
    for row in data:
        expected[dt.datetime.strptime(row[paid], "%d/%m/%y").date()] += pence_from_text(row[amount])

    meta, payments = read_all(path, path.name)

    assert (meta.layout, meta.encoding) == ("transparency", "cp1252")
    assert len(data) == 479
    assert totals(payments) == (479, sum(expected.values()), expected)
    credits = [p for p in payments if p.amount_pence < 0]
    assert len(credits) == 26
    assert min(p.amount_pence for p in payments) == -16554600
    assert max(p.amount_pence for p in payments) == 384703100
    # The header "Name:  " (colon, two trailing spaces) is the supplier.
    assert meta.column_mapping["supplier_name"] == "Name:  "
    assert payments[0].supplier_name == "Rapid Recruitment Ltd"
    assert payments[-1].line_number == 540  # physical lines, past embedded newlines
    assert any("\u00a320,000" in p.description for p in payments)  # byte 0xA3
    # No supplier number in the file: one derived from the name, the same every time.
    assert all(p.supplier_number.startswith("NK-") for p in payments)
    assert len({p.natural_key for p in payments}) == 479


def test_oxford_utf8_leading_minus_and_blank_supplier_names() -> None:
    path = REALDATA / "spend_oxford_city_council" / "expenditure-over-500-oct-dec-2017.csv"
    header, rows = raw_csv_rows(path, "utf-8", "Client")
    amount, paid = header.index("Amount"), header.index("Paid Date")
    expected: Counter[dt.date] = Counter()
    for row in rows:
        expected[dt.datetime.strptime(row[paid], "%d/%m/%Y").date()] += pence_from_text(row[amount])

    meta, payments = read_all(path, path.name)

    assert meta.layout == "transparency"
    assert totals(payments) == (3855, sum(expected.values()), expected)
    assert sum(1 for p in payments if p.amount_pence < 0) == 5
    blank_names = sum(1 for row in rows if not row[header.index("Supplier Name")].strip())
    assert blank_names == 69
    redacted = [p for p in payments if p.supplier_name == "Redacted"]
    assert len(redacted) == 69
    assert {p.supplier_number for p in redacted} == {"NK-REDACTED"}
    # The file's own supplier ids are kept where given.
    assert payments[0].supplier_number == "20018026"
    assert any(p.supplier_name == "Verint Systems UK Ltd.," for p in payments)
    assert any("REDACTIVE" in p.supplier_name for p in payments)  # not mistaken for redaction
    assert len({p.natural_key for p in payments}) == 3855


def test_lancashire_fire_xlsx_serial_dates_and_float_noise() -> None:
    path = REALDATA / "spend_lancashire_fire_rescue" / "lfrs-spend-over-500-2025-26-q3.xlsx"
    sheet = openpyxl.load_workbook(path).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    amount, paid = header.index("Amount"), header.index("Date")
    expected: Counter[dt.date] = Counter()
    for row in values[1:]:
        day = row[paid]
        assert isinstance(day, dt.datetime)
        expected[day.date()] += pence_from_cell(row[amount])

    meta, payments = read_all(path, path.name)

    assert (meta.layout, meta.kind) == ("transparency", "xlsx")
    assert totals(payments) == (881, sum(expected.values()), expected)
    assert min(p.payment_date for p in payments) == dt.date(2025, 9, 26)
    assert max(p.payment_date for p in payments) == dt.date(2025, 12, 23)
    assert max(p.amount_pence for p in payments) == 55014375
    # Transaction numbers repeat across lines: keys stay unique, and stable.
    assert len({p.payment_reference for p in payments}) < 881
    assert len({p.natural_key for p in payments}) == 881
    _, again = read_all(path, path.name)
    assert [p.natural_key for p in again] == [p.natural_key for p in payments]


@pytest.mark.parametrize(
    "path",
    sorted(
        list(SAMPLES.glob("*paid_invoices*"))
        + [p for p in REALDATA.glob("spend_*/*") if p.suffix != ".md"]  # not SOURCE.md
    ),
    ids=lambda p: p.name,
)
def test_every_file_parses_from_an_open_binary_handle_too(path: Path) -> None:
    _, from_path = read_all(path, path.name)
    with path.open("rb") as handle:
        _, from_handle = read_all(handle, path.name)
        assert not handle.closed  # the caller's handle is left open
    assert from_handle == from_path


def test_layout_hint_forces_a_layout() -> None:
    path = SAMPLES / "r12_paid_invoices_sample.csv"
    meta, payments = read_all(path, path.name, layout_hint="r12")
    assert meta.layout == "r12"
    assert len(payments) == 40
    with pytest.raises(ImportRejected, match="No header row"):
        iter_payments(path, path.name, layout_hint="fusion")
