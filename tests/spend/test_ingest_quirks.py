"""Each quirk of a real extract, in a small file written by the test."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from spend.ingest import readers
from spend.ingest.parse import Payment, iter_payments, read_all

R12_HEADER = (
    "ORG_ID,INVOICE_ID,INVOICE_NUM,INVOICE_DATE,VENDOR_NUM,VENDOR_NAME,VENDOR_SITE_CODE,"
    "ADDRESS_LINE1,CITY,ZIP,CHECK_NUMBER,CHECK_DATE,STATUS_LOOKUP_CODE,INVOICE_PAYMENT_ID,"
    "DIST_LINE_NUM,AMOUNT,CURRENCY_CODE,COST_CENTRE,ACCOUNT,ACCOUNT_DESCRIPTION,DESCRIPTION"
)
FUSION_HEADER = [
    "Business Unit",
    "Invoice ID",
    "Invoice Number",
    "Invoice Date",
    "Supplier Number",
    "Supplier or Party",
    "Supplier Site",
    "Address Line 1",
    "Town or City",
    "Postal Code",
    "Payment Number",
    "Payment Date",
    "Payment Status",
    "Distribution Line Number",
    "Paid Amount",
    "Currency",
    "Cost Centre",
    "Account",
    "Account Description",
    "Invoice Description",
]


def r12_row(
    ipid: int,
    amount: str = "100.00",
    *,
    check_date: str = "19-APR-21",
    status: str = "NEGOTIABLE",
    zip_code: str = "PR1 2HE",
    name: str = "SUEZ RECYCLING & RECOVERY UK LTD",
    description: str = "Waste",
    line: int = 1,
) -> str:
    def quote(text: str) -> str:
        if any(ch in text for ch in ',"\n'):
            return '"' + text.replace('"', '""') + '"'
        return text

    cells = [
        "101", "5000123", "INV-1", "05-APR-21", "100231", name, "MAIN", "1 High St",
        "Preston", zip_code, "700231", check_date, status, str(ipid), str(line), amount,
        "GBP", "AS1001", "52100", "Waste Disposal Contracts", description,
    ]  # fmt: skip
    return ",".join(quote(c) for c in cells)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def parse(path: Path, **kwargs: object) -> list[Payment]:
    return read_all(path, path.name, **kwargs)[1]  # type: ignore[arg-type]


def test_windows_1252_pound_sign(tmp_path: Path) -> None:
    text = R12_HEADER + "\r\n" + r12_row(1, description="Caf\u00e9 \u00a3 \u2013 supplies") + "\r\n"
    path = write(tmp_path, "r12.csv", text, "cp1252")
    header, payments = read_all(path, path.name)
    assert header.encoding == "cp1252"
    assert payments[0].description == "Caf\u00e9 \u00a3 \u2013 supplies"


def test_utf8_with_bom_and_title_lines(tmp_path: Path) -> None:
    text = "Paid Invoices Report\r\nRun Date: 2023-06-28\r\n\r\n" + R12_HEADER + "\r\n"
    text += r12_row(1) + "\r\n"
    path = write(tmp_path, "r12.csv", text, "utf-8-sig")
    header, payments = read_all(path, path.name)
    assert (header.encoding, header.header_line) == ("utf-8-sig", 4)
    assert payments[0].line_number == 5


def test_stray_windows_1252_byte_after_the_sample_is_decoded_not_refused(tmp_path: Path) -> None:
    # UTF-8 (plain ASCII) for far longer than the encoding sample, then one 0xA3.
    rows = [r12_row(i) for i in range(1, 3001)]
    body = (R12_HEADER + "\n" + "\n".join(rows) + "\n").encode("utf-8")
    assert len(body) > readers.SAMPLE_BYTES
    body += r12_row(3001, description="Fee \u00a3").encode("cp1252") + b"\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(body)
    header, payments = read_all(path, path.name)
    assert header.encoding == "utf-8"
    assert payments[-1].description == "Fee \u00a3"
    assert len(payments) == 3001


def test_report_total_footer_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    text = "\n".join(
        [
            R12_HEADER,
            r12_row(1, "10.00"),
            "",
            r12_row(2, "5.00"),
            "Report Total" + "," * 15 + "15.00",
        ]
    )
    header, payments = read_all(write(tmp_path, "r12.csv", text), "r12.csv")
    assert [p.amount_pence for p in payments] == [1000, 500]
    assert header.skipped_rows == 2
    assert header.skipped_lines == [5]  # the footer; blank lines are not listed
    assert header.finished


@pytest.mark.parametrize(
    ("cell", "pence"),
    [
        ('"1,234.56"', 123456),
        ("2.44-", -244),
        ('"1,002.44-"', -100244),
        ("(2.44)", -244),
        ("-2.44", -244),
        ("\u00a31.50", 150),
        ("12", 1200),
        ("0.5", 50),
    ],
)
def test_amount_shapes(tmp_path: Path, cell: str, pence: int) -> None:
    text = R12_HEADER + "\n" + r12_row(1).replace(",100.00,", f",{cell},") + "\n"
    assert parse(write(tmp_path, "r12.csv", text, "cp1252"))[0].amount_pence == pence


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("19-APR-21", dt.date(2021, 4, 19)),
        ("19-Apr-2021", dt.date(2021, 4, 19)),
        ("2021-04-19", dt.date(2021, 4, 19)),
        ("19/04/2021", dt.date(2021, 4, 19)),
        ("19/04/21", dt.date(2021, 4, 19)),
        ("9/4/21", dt.date(2021, 4, 9)),
        ("19/04/2021 00:00:00", dt.date(2021, 4, 19)),
    ],
)
def test_date_shapes(tmp_path: Path, cell: str, day: dt.date) -> None:
    text = R12_HEADER + "\n" + r12_row(1, check_date=cell) + "\n"
    assert parse(write(tmp_path, "r12.csv", text))[0].payment_date == day


@pytest.mark.parametrize(
    ("raw", "postcode", "district"),
    [
        ("pr12he", "PR1 2HE", "PR1"),
        (" PR1  2HE ", "PR1 2HE", "PR1"),
        ("sw1a 2aa", "SW1A 2AA", "SW1A"),
        ("PR25 2LQ", "PR25 2LQ", "PR25"),
        ("", "", ""),
        ("TBC", "TBC", ""),
        ("12345", "12345", ""),
    ],
)
def test_postcodes_any_case_and_spacing(
    tmp_path: Path, raw: str, postcode: str, district: str
) -> None:
    text = R12_HEADER + "\n" + r12_row(1, zip_code=raw) + "\n"
    payment = parse(write(tmp_path, "r12.csv", text))[0]
    assert (payment.postcode, payment.district) == (postcode, district)


def test_embedded_newlines_and_commas_keep_physical_line_numbers(tmp_path: Path) -> None:
    text = "\r\n".join(
        [
            R12_HEADER,
            r12_row(1, description="first line\r\nsecond, with a comma\r\nthird"),
            r12_row(2),
        ]
    )
    payments = parse(write(tmp_path, "r12.csv", text))
    assert payments[0].description == "first line\r\nsecond, with a comma\r\nthird"
    assert [p.line_number for p in payments] == [2, 5]


def test_extract_without_address_columns_has_unknown_locality(tmp_path: Path) -> None:
    columns = R12_HEADER.split(",")
    keep = [i for i, c in enumerate(columns) if c not in ("ADDRESS_LINE1", "CITY", "ZIP")]
    row = r12_row(1).split(",")
    text = ",".join(columns[i] for i in keep) + "\n" + ",".join(row[i] for i in keep) + "\n"
    payment = parse(write(tmp_path, "r12.csv", text))[0]
    assert (payment.postcode, payment.district, payment.address_line) == ("", "", "")
    assert payment.amount_pence == 10000


def test_extra_columns_and_other_column_order_are_fine(tmp_path: Path) -> None:
    columns = R12_HEADER.split(",")
    row = r12_row(7, "3.21").split(",")
    order = list(reversed(range(len(columns))))
    text = (
        "CREATED_BY," + ",".join(columns[i] for i in order) + ",ATTRIBUTE1\n"
        "SYSADMIN," + ",".join(row[i] for i in order) + ",x\n"
    )
    payment = parse(write(tmp_path, "r12.csv", text))[0]
    assert (payment.natural_key, payment.amount_pence) == ("r12|7|1", 321)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_delimiters(tmp_path: Path, delimiter: str) -> None:
    text = (R12_HEADER + "\n" + r12_row(1, "1234.50") + "\n").replace(",", delimiter)
    header, payments = read_all(write(tmp_path, "r12.csv", text), "r12.csv")
    assert header.delimiter == delimiter
    assert payments[0].amount_pence == 123450


@pytest.mark.parametrize(
    ("status", "is_spend"),
    [
        ("NEGOTIABLE", True),
        ("RECONCILED", True),
        ("VOIDED", False),
        ("Voided", False),
        ("SPOILED", False),
        ("STOP INITIATED", False),
        ("Stop Initiated", False),
    ],
)
def test_voided_spoiled_and_stopped_payments_are_not_spend(
    tmp_path: Path, status: str, is_spend: bool
) -> None:
    text = R12_HEADER + "\n" + r12_row(1, status=status) + "\n"
    assert parse(write(tmp_path, "r12.csv", text))[0].is_spend is is_spend


def test_supplier_names_are_trimmed_and_collapsed(tmp_path: Path) -> None:
    text = R12_HEADER + "\n" + r12_row(1, name="  SUEZ   RECYCLING  LTD ") + "\n"
    assert parse(write(tmp_path, "r12.csv", text))[0].supplier_name == "SUEZ RECYCLING LTD"


def test_xlsx_date_cells_serials_and_float_noise(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Paid Invoices Report"])
    sheet.append(FUSION_HEADER)
    base = [
        "LCC BU", 1, "F1", dt.datetime(2023, 6, 23), "100013", "SOFTCAT PLC", "MAIN",
        "1 High St", "Town", "WA1 1UG", "P1", dt.datetime(2023, 7, 1), "Cleared", 1,
        528.70000000000005, "GBP", "PH3001", 53700, "ICT", "Licences",
    ]  # fmt: skip
    second = list(base)
    second[1], second[10] = 2, "P2"
    second[3] = 45098  # an Excel serial number in a cell not formatted as a date
    second[11] = dt.datetime(2023, 7, 3, 1, 0)  # the 01:00 artefact of real files
    second[14] = (2.44 - 4.88) + 0.1 + 0.2  # -2.14 with float noise
    third = list(base)
    third[1], third[10], third[14] = 3, "P3", 1500  # a whole number of pounds
    for row in (base, second, third):
        sheet.append(row)
    path = tmp_path / "fusion.xlsx"
    workbook.save(path)

    header, payments = read_all(path, path.name)

    assert (header.layout, header.header_line) == ("fusion", 2)
    assert [p.amount_pence for p in payments] == [52870, -214, 150000]
    assert payments[1].invoice_date == dt.date(2023, 6, 21)  # serial 45098
    assert payments[1].payment_date == dt.date(2023, 7, 3)
    assert payments[0].account == "53700"
    assert [p.line_number for p in payments] == [3, 4, 5]


def test_overlapping_rows_share_natural_keys(tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", "\n".join([R12_HEADER, r12_row(1), r12_row(2)]))
    second = write(tmp_path, "b.csv", "\n".join([R12_HEADER, r12_row(2), r12_row(3)]))
    keys_a = {p.natural_key for p in parse(first)}
    keys_b = {p.natural_key for p in parse(second)}
    assert keys_a & keys_b == {"r12|2|1"}


def test_distribution_lines_are_separate_payments(tmp_path: Path) -> None:
    text = "\n".join([R12_HEADER, r12_row(1, line=1), r12_row(1, line=2)])
    keys = [p.natural_key for p in parse(write(tmp_path, "r12.csv", text))]
    assert keys == ["r12|1|1", "r12|1|2"]


def test_transparency_file_with_synonym_headings(tmp_path: Path) -> None:
    text = (
        "Body Name,Date,Transaction Number,Net Amount,Beneficiary,Expense Area,Expense Type,"
        "Postcode\n"
        "Lancashire CC,01/04/2024,T1,500.00,Acme Ltd,Highways,Materials,pr1 2he\n"
        "Lancashire CC,01/04/2024,T1,500.00,Acme Ltd,Highways,Materials,pr1 2he\n"
        "Lancashire CC,02/04/2024,T2,-20.00,ACME LIMITED,Highways,Materials,\n"
    )
    header, payments = read_all(write(tmp_path, "spend.csv", text), "spend.csv")
    assert header.layout == "transparency"
    assert [p.cost_centre for p in payments] == ["Highways"] * 3
    assert payments[0].account_description == "Materials"
    assert payments[0].district == "PR1"
    # Two identical lines stay two payments, with keys that are the same on every upload.
    assert payments[0].natural_key.endswith("|1")
    assert payments[1].natural_key.endswith("|2")
    assert payments[0].natural_key[:-2] == payments[1].natural_key[:-2]
    # Supplier number from the name: spellings that share a name key share a number.
    assert payments[0].supplier_number == payments[2].supplier_number
    assert payments[0].supplier_number.startswith("NK-")


def test_custom_mapping_for_an_unknown_header(tmp_path: Path) -> None:
    text = 'Paid on,Who,How much,Doc\n01/05/2024,Acme Ltd,"1,000.00",D1\n'
    path = write(tmp_path, "odd.csv", text)
    mapping = {
        "payment_date": "Paid on",
        "supplier_name": "who",  # matched however it is spelt or spaced
        "amount": "How much",
        "payment_reference": "Doc",
    }
    header, payments = read_all(path, path.name, mapping=mapping)
    assert header.mapping.custom
    assert header.column_mapping == {
        "payment_date": "Paid on",
        "supplier_name": "Who",
        "amount": "How much",
        "payment_reference": "Doc",
    }
    assert (payments[0].amount_pence, payments[0].payment_reference) == (100000, "D1")


def test_memory_stays_flat_reading_a_large_file(tmp_path: Path) -> None:
    # The iterator must stream: reading 20 times the rows must not take 20 times the memory
    # (Python's own allocations, traced, at their peak while the rows go by).
    def peak_reading(rows: int) -> int:
        text = "\n".join(r12_row(i) for i in range(1, rows + 1))
        path = write(tmp_path, f"rows-{rows}.csv", R12_HEADER + "\n" + text + "\n")
        del text
        tracemalloc.start()
        try:
            header, payments = iter_payments(path, path.name)
            count = sum(1 for _ in payments)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert count == header.payment_rows == rows
        return peak

    small, large = peak_reading(2_000), peak_reading(40_000)
    file_size = (tmp_path / "rows-40000.csv").stat().st_size
    assert large < 2 * small + 1_000_000, (small, large)
    assert large < file_size / 2, (large, file_size)  # far less than the file itself


def test_non_seekable_stream_is_spooled(tmp_path: Path) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = (R12_HEADER + "\n" + r12_row(1) + "\n").encode()
    _, payments = read_all(Pipe(data), "piped.csv")  # type: ignore[arg-type]
    assert len(payments) == 1


def test_a_purchase_order_column_is_read_when_the_file_has_one(tmp_path: Path) -> None:
    """R12's PO_NUMBER, Fusion's Purchase Order and a published file's contract reference
    land on the payment (they tie it to a contract); without the column it is blank."""
    r12 = write(
        tmp_path,
        "r12.csv",
        f"{R12_HEADER},PO_NUMBER\n{r12_row(1)},PO-778\n{r12_row(2)},\n",
    )
    assert [p.order_reference for p in parse(r12)] == ["PO-778", ""]
    fusion_cells = [
        "LCC BU", "9001", "INV-9", "2023-04-03", "100231", "Acme", "MAIN", "1 High St",
        "Preston", "PR1 2HE", "PAY-1", "2023-04-05", "Paid", "1", "250.00", "GBP", "AS1",
        "52100", "Waste", "Bins", "LCC-2023-0042",
    ]  # fmt: skip
    fusion = write(
        tmp_path,
        "fusion.csv",
        ",".join([*FUSION_HEADER, "Purchase Order"]) + "\n" + ",".join(fusion_cells) + "\n",
    )
    [payment] = parse(fusion)
    assert (payment.layout, payment.order_reference) == ("fusion", "LCC-2023-0042")
    published = write(
        tmp_path,
        "spend.csv",
        "Supplier Name,Payment Date,Amount,Contract Reference\nAcme,05/04/2023,600.00,C-17\n",
    )
    [payment] = parse(published)
    assert (payment.layout, payment.order_reference) == ("transparency", "C-17")
    assert [
        p.order_reference
        for p in parse(write(tmp_path, "plain.csv", f"{R12_HEADER}\n{r12_row(1)}\n"))
    ] == [""]
