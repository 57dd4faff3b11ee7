"""The fast path (a file cut into chunks that child processes parse while the import merges)
gives the ledger the one-process path gives, for files with every quirk of the formats
document (docs/formats/oracle-extracts.md) and for the real files in tests/data/spend_*.

Since decision 0009 yearly and monthly extracts (16 MB and up) take the fast path, so these
files are cut into many small chunks here (a few KB) to put every quirk on both sides of a
cut."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from spend import services
from spend.ingest.chunks import plan_chunks
from spend.ingest.readers import SAMPLE_BYTES
from spend.models import ImportBatch, Payment, SpendSummary
from tests.spend.test_ingest_chunks import in_one_process, ledger_snapshot

pytestmark = pytest.mark.django_db

CHUNK_BYTES = 4 * 1024

R12_COLUMNS = [
    "ORG_ID", "INVOICE_ID", "INVOICE_NUM", "INVOICE_DATE", "VENDOR_NUM", "VENDOR_NAME",
    "VENDOR_SITE_CODE", "ADDRESS_LINE1", "CITY", "ZIP", "CHECK_NUMBER", "CHECK_DATE",
    "STATUS_LOOKUP_CODE", "INVOICE_PAYMENT_ID", "DIST_LINE_NUM", "AMOUNT", "CURRENCY_CODE",
    "COST_CENTRE", "ACCOUNT", "ACCOUNT_DESCRIPTION", "DESCRIPTION", "PO_NUMBER",
]  # fmt: skip

# Each value shape of the formats document, with what it means.
AMOUNTS = [
    ("1,234.56", 123456), ("2.44-", -244), ("1,002.44-", -100244), ("(2.44)", -244),
    ("-2.44", -244), ("\u00a31.50", 150), ("12", 1200), ("0.5", 50), ("+5", 500),
    ("3.455", 346),
]  # fmt: skip
DATES = [
    "19-APR-21", "19-Apr-2021", "2021-04-19", "19/04/2021", "19/04/21", "9/4/21",
    "19/04/2021 00:00:00", "20.04.2021", "01-MAR-22",
]  # fmt: skip
POSTCODES = ["pr12he", " PR1  2HE ", "sw1a 2aa", "PR25 2LQ", "", "TBC", "12345", "M1"]
STATUSES = [
    ("NEGOTIABLE", True), ("RECONCILED", True), ("", True), ("VOIDED", False),
    ("Voided", False), ("SPOILED", False), ("STOP INITIATED", False), ("Stop Initiated", False),
]  # fmt: skip
DESCRIPTIONS = [
    "Waste",
    "first line\r\nsecond, with a comma\r\nthird",
    "a line\nbreak",
    "a lone\rreturn",
    'doubled "quotes", and a comma',
    "Caf\u00e9 \u00a3 \u2013 supplies",
]


@dataclass
class Row:
    cells: list[str]
    key: str
    pence: int
    is_spend: bool


def quirky_rows(count: int, *, first_id: int = 1) -> list[Row]:
    """Rows that cycle through every value shape; suppliers are renamed over time (names with
    runs of spaces), invoices have one to three distribution lines."""
    rows = []
    for n in range(count):
        ipid = first_id + n // 3
        line = 1 + n % 3
        amount, pence = AMOUNTS[n % len(AMOUNTS)]
        status, is_spend = STATUSES[n % len(STATUSES)]
        supplier = 100_000 + n % 17
        name = f"  SUPPLIER   {supplier}  LTD " + ("(RENAMED)" if n > count // 2 else "")
        cells = [
            "101", str(5_000_000 + ipid), f"INV-{ipid}", "05-APR-21", str(supplier), name,
            "MAIN" if n % 5 else "DEPOT", f"{n % 9} High St", "Preston",
            POSTCODES[n % len(POSTCODES)], str(700_000 + ipid), DATES[n % len(DATES)], status,
            str(ipid), str(line), amount, "GBP" if n % 4 else "", f"AS{n % 6}",
            f"5{n % 4}100", "Waste Disposal Contracts", DESCRIPTIONS[n % len(DESCRIPTIONS)],
            f"PO-{n % 11}" if n % 3 == 0 else "",
        ]  # fmt: skip
        rows.append(Row(cells, f"r12|{ipid}|{line}", pence, is_spend))
    return rows


def write_extract(
    path: Path,
    rows: list[Row],
    *,
    encoding: str = "cp1252",
    delimiter: str = ",",
    newline: str = "\r\n",
    title_lines: bool = False,
    footer: bool = False,
    reverse_columns: bool = False,
    extra_columns: bool = False,
    drop_address: bool = False,
    blank_every: int = 0,
    stray_byte_at_end: bool = False,
) -> Path:
    columns = list(R12_COLUMNS)
    order = list(range(len(columns)))
    if drop_address:
        order = [i for i in order if columns[i] not in ("ADDRESS_LINE1", "CITY", "ZIP")]
    if reverse_columns:
        order.reverse()
    out = io.StringIO()
    if title_lines:
        out.write(f"Paid Invoices Report{newline}Run Date: 2023-06-28{newline}{newline}")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    extra_head, extra = (["CREATED_BY"], ["SYSADMIN"]) if extra_columns else ([], [])
    writer.writerow(extra_head + [columns[i] for i in order])
    # UTF-8 for far longer than the encoding sample, then one Windows-1252 byte (a £).
    stray = rows[-1] if stray_byte_at_end else None
    for number, row in enumerate(rows, start=1):
        if row is stray:
            break
        writer.writerow(extra + [row.cells[i] for i in order])
        if blank_every and number % blank_every == 0:
            out.write(newline)
    if footer:
        cells = [""] * (len(order) + len(extra))
        cells[0] = "Report Total"
        writer.writerow(cells)
    body = out.getvalue().encode(encoding)
    if stray is not None:
        assert len(body) > SAMPLE_BYTES
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=newline).writerow(
            extra + [stray.cells[i] for i in order]
        )
        body += out.getvalue().replace("STRAY", "Fee \u00a3").encode("cp1252")
    path.write_bytes(body)
    return path


VARIANTS: dict[str, dict[str, Any]] = {
    "windows-1252, CRLF, comma, footer and blank lines": {
        "encoding": "cp1252",
        "footer": True,
        "blank_every": 37,
    },
    "UTF-8 with BOM, title lines, semicolons, LF": {
        "encoding": "utf-8-sig",
        "delimiter": ";",
        "newline": "\n",
        "title_lines": True,
    },
    "UTF-8 with a stray Windows-1252 byte, tabs": {
        "rows": 2400,
        "encoding": "utf-8",
        "delimiter": "\t",
        "stray_byte_at_end": True,
    },
    "pipes, extra columns, other column order, no address": {
        "delimiter": "|",
        "reverse_columns": True,
        "extra_columns": True,
        "drop_address": True,
    },
}


def cut_and_parallel(settings: Any) -> None:
    settings.SPEND_IMPORT_WORKERS = 2
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES


def expected_spend(files: list[list[Row]]) -> int:
    """Spend from the rows as written: a key's first line counts, a later void takes it out."""
    first: dict[str, Row] = {}
    voided: set[str] = set()
    for rows in files:
        for row in rows:
            first.setdefault(row.key, row)
            if not row.is_spend:
                voided.add(row.key)
    return sum(row.pence for key, row in first.items() if row.is_spend and key not in voided)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_quirk_gives_the_same_ledger_cut_in_child_processes_as_read_in_one(
    tmp_path: Path, settings: Any, caplog: pytest.LogCaptureFixture, variant: str
) -> None:
    options = dict(VARIANTS[variant])
    rows = quirky_rows(options.pop("rows", 600))
    rows[-1].cells[20] = "STRAY"  # the stray byte's cell, when the variant has one
    # A later extract overlapping the first: some of its payments now voided, some new; a
    # key repeated within the file (its first line counts).
    later = quirky_rows(300, first_id=150)
    for row in later[::7]:
        row.cells[12], row.is_spend = "VOIDED", False
    later.append(Row([*later[0].cells], later[0].key, later[0].pence, later[0].is_spend))
    later[-1].cells[15] = "999.99"
    paths = [
        write_extract(tmp_path / "q1.csv", rows, **options),
        write_extract(
            tmp_path / "q2.csv",
            later,
            **{k: v for k, v in options.items() if k != "stray_byte_at_end"},
        ),
    ]
    assert all(len(plan_chunks(path, CHUNK_BYTES)) > 5 for path in paths)

    expected = in_one_process(paths, settings)
    cut_and_parallel(settings)
    with caplog.at_level(logging.INFO, logger="spend.ingest.load"):
        got = ledger_snapshot()
        assert got["payments"] == []
        for path in paths:
            [batch] = services.import_paths(paths=[path])
            assert batch.status == ImportBatch.Status.LOADED, batch.error
    assert sum("parts in 2 processes" in message for message in caplog.messages) == 2
    assert ledger_snapshot() == expected
    # And the figure itself, from the rows as the test wrote them.
    total = SpendSummary.objects.aggregate(total=Sum("total_pence"))["total"]
    assert total == expected_spend([rows, later])


def test_a_refusal_names_the_same_line_and_column_on_both_paths(
    tmp_path: Path, settings: Any
) -> None:
    rows = quirky_rows(900)
    rows[777].cells[15] = "12,3x4"
    path = write_extract(tmp_path / "bad.csv", rows)
    settings.SPEND_IMPORT_WORKERS = 0
    [one] = services.import_paths(paths=[path])
    cut_and_parallel(settings)
    [cut] = services.import_paths(paths=[path])
    assert one.status == cut.status == ImportBatch.Status.REJECTED
    assert (cut.error_line, cut.error_column) == (one.error_line, one.error_column)
    assert cut.error_column == "AMOUNT"
    # Line: the header, then one physical line per row plus one per line break in a cell.
    breaks = 0
    for row in rows[:777]:
        text = row.cells[20]
        breaks += text.count("\r\n") + sum(text.replace("\r\n", "").count(c) for c in "\r\n")
    assert cut.error_line == 2 + 777 + breaks
    assert not Payment.objects.exists()


REAL_FILES = sorted(
    str(path.relative_to(Path(__file__).resolve().parent.parent / "data"))
    for path in (Path(__file__).resolve().parent.parent / "data").glob("spend_*/*")
    if path.suffix.lower() in (".csv", ".xlsx")
)


@pytest.mark.parametrize("name", REAL_FILES)
def test_a_real_file_gives_the_same_ledger_on_both_paths(
    data_dir: Path, tmp_path: Path, settings: Any, name: str
) -> None:
    # Published files and workbooks are read whole (a published file numbers repeated rows
    # across the file), whatever the settings: the cut must not change that.
    path = data_dir / name
    expected = in_one_process([path], settings)
    cut_and_parallel(settings)
    services.import_paths(paths=[path])
    assert ledger_snapshot() == expected
