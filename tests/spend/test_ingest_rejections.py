"""Files the ledger refuses, and what the refusal says (file, line, column, what to do)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from spend.ingest import readers
from spend.ingest.errors import ImportRejected
from spend.ingest.parse import iter_payments, read_all

from .test_ingest_quirks import R12_HEADER, r12_row, write


def rejection(path: Path, **kwargs: object) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        read_all(path, path.name, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_bad_amount_names_file_line_and_column(tmp_path: Path) -> None:
    rows = [r12_row(i) for i in range(1, 13)] + [r12_row(13).replace(",100.00,", ',"12,3x4",')]
    path = write(tmp_path, "march.csv", "\n".join([R12_HEADER, *rows]) + "\n")
    error = rejection(path)
    assert (error.file_name, error.line_number, error.column) == ("march.csv", 14, "AMOUNT")
    assert str(error) == (
        "march.csv: Line 14, column AMOUNT: '12,3x4' is not an amount. "
        "Correct the cell and upload the file again."
    )


def test_the_error_comes_from_the_iterator_so_the_caller_rolls_back(tmp_path: Path) -> None:
    text = "\n".join([R12_HEADER, r12_row(1), r12_row(2, "abc")]) + "\n"
    path = write(tmp_path, "r12.csv", text)
    header, payments = iter_payments(path, path.name)
    assert next(payments).amount_pence == 10000
    with pytest.raises(ImportRejected, match="Line 3, column AMOUNT: 'abc' is not an amount"):
        next(payments)
    assert not header.finished


@pytest.mark.parametrize("bad", ["31/02/2023", "2023-13-01", "yesterday", "31-FOO-21"])
def test_bad_payment_date(tmp_path: Path, bad: str) -> None:
    text = R12_HEADER + "\n" + r12_row(1, check_date=bad) + "\n"
    error = rejection(write(tmp_path, "r12.csv", text))
    assert (error.line_number, error.column) == (2, "CHECK_DATE")
    assert f"'{bad}' is not a date" in str(error)
    assert "day first" in str(error)


def test_bad_invoice_date_is_refused_too(tmp_path: Path) -> None:
    text = R12_HEADER + "\n" + r12_row(1).replace("05-APR-21", "05-ABC-21") + "\n"
    error = rejection(write(tmp_path, "r12.csv", text))
    assert error.column == "INVOICE_DATE"


def test_blank_amount_on_a_payment_row(tmp_path: Path) -> None:
    text = R12_HEADER + "\n" + r12_row(1).replace(",100.00,", ",,") + "\n"
    error = rejection(write(tmp_path, "r12.csv", text))
    assert (error.line_number, error.column) == (2, "AMOUNT")
    assert "the amount is blank" in str(error)


def test_payment_row_without_its_payment_id(tmp_path: Path) -> None:
    text = R12_HEADER + "\n" + r12_row(1).replace(",NEGOTIABLE,1,", ",NEGOTIABLE,,") + "\n"
    error = rejection(write(tmp_path, "r12.csv", text))
    assert (error.line_number, error.column) == (2, "INVOICE_PAYMENT_ID")


def test_missing_required_column_is_one_error_naming_it(tmp_path: Path) -> None:
    header = R12_HEADER.replace(",AMOUNT,", ",AMOUNT_PAID_X,")
    rows = [r12_row(i) for i in range(1, 500)]
    path = write(tmp_path, "r12.csv", "\n".join([header, *rows]) + "\n")
    with pytest.raises(ImportRejected) as caught:
        iter_payments(path, path.name)  # refused before any row is read
    error = caught.value
    assert (error.file_name, error.line_number, error.column) == ("r12.csv", 1, "AMOUNT")
    assert "Oracle R12" in str(error)
    assert "'AMOUNT' is missing" in str(error)


def test_fusion_missing_two_columns_is_not_taken_for_a_published_file(tmp_path: Path) -> None:
    header = (
        "Business Unit,Invoice ID,Invoice Number,Invoice Date,Supplier Number,Supplier or Party,"
        "Payment Date,Payment Status,Paid Amount"
    )
    path = write(tmp_path, "f.csv", header + "\nBU,1,F1,2023-01-01,1,Acme,2023-02-01,Paid,1\n")
    error = rejection(path)
    assert "Oracle Fusion" in str(error)
    assert "'Payment Number', 'Distribution Line Number' are missing" in str(error)


def test_no_header_row(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.csv", "Dear colleague,\nplease find attached\n1,2,3\n")
    error = rejection(path)
    assert error.file_name == "notes.csv"
    assert "No header row was found in the first 30 lines" in str(error)
    assert "VENDOR_NUM" in str(error)  # says what a header looks like


def test_header_below_the_first_30_rows_is_found_further_down(tmp_path: Path) -> None:
    # Issue 13: a file sorted with its header (Hyndburn's) has it anywhere; it is found, and
    # the batch says where, instead of the file being refused as having none.
    text = "Title\n" * 31 + R12_HEADER + "\n" + r12_row(1) + "\n"
    header, payments = read_all(write(tmp_path, "r12.csv", text), "r12.csv")
    assert (header.header_line, header.header_not_at_top) == (32, True)
    assert [p.amount_pence for p in payments] == [10000]


def test_no_header_anywhere_is_refused(tmp_path: Path) -> None:
    text = "Title\n" * 40 + "a,b,c\n"
    assert "No header row" in str(rejection(write(tmp_path, "r12.csv", text)))


def test_saved_mapping_that_does_not_fit_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "A,B\n1,2\n")
    error = rejection(path, mapping={"amount": "Value", "payment_date": "When"})
    assert "saved column mapping" in str(error)


def test_saved_mapping_without_a_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "Value,When\n1,01/01/2024\n")
    error = rejection(path, mapping={"amount": "Value", "payment_date": "When"})
    assert "supplier name" in str(error)
    assert error.line_number == 1


# ---------------------------------------------------------------------------
# Not a spreadsheet at all
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "This is a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old Excel (.xls)"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "binary data"),
        (b"\xff\xfeO\x00R\x00G\x00", "UTF-16"),
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
    ],
)
def test_wrong_file_type_renamed_csv(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "spend.csv"
    path.write_bytes(content)
    error = rejection(path)
    assert message in str(error)
    assert str(error).startswith("spend.csv: ")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "spend.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "zip file, not an Excel workbook" in str(rejection(path))


def test_damaged_workbook(tmp_path: Path) -> None:
    path = tmp_path / "spend.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert "damaged" in str(rejection(path))


def zip_bomb(path: Path, megabytes: int) -> None:
    """A workbook-shaped zip with one part of zeros that compresses about 1000 times."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"\x00" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(block)


def test_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    zip_bomb(path, 40)
    assert path.stat().st_size < 1024 * 1024
    error = rejection(path)
    assert "zip bomb" in str(error)
    assert "xl/worksheets/sheet1.xml" in str(error)


def test_zip_bomb_by_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.xlsx"
    zip_bomb(path, 3)
    monkeypatch.setattr(readers, "XLSX_MAX_UNCOMPRESSED", 2 * 1024 * 1024)
    assert "would unpack to 3 MB" in str(rejection(path))


def test_too_many_rows_in_a_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(R12_HEADER.split(","))
    for i in range(1, 12):
        sheet.append(r12_row(i).split(","))
    path = tmp_path / "rows.xlsx"
    workbook.save(path)
    monkeypatch.setattr(readers, "XLSX_MAX_ROWS", 5)
    error = rejection(path)
    assert "rows" in str(error)
    assert "Split it into smaller files" in str(error)


def test_missing_file() -> None:
    with pytest.raises(ImportRejected, match="cannot be opened"):
        iter_payments("/nonexistent/spend.csv", "spend.csv")


def test_too_many_columns_in_a_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(R12_HEADER.split(","))
    sheet.cell(row=2, column=40, value="stray")
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    monkeypatch.setattr(readers, "XLSX_MAX_COLUMNS", 30)
    assert "has 40 columns, more than the 30 allowed" in str(rejection(path))
