"""Large extracts are cut into chunks read by child processes: the ledger must come out exactly
as if the file had been read in one go, whatever the file's quirks, and a bad row, a cut in
the wrong place or a child that dies must be handled as the one-process import would."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F

from demo.extracts import GeneratorConfig, generate_extracts
from spend import services
from spend.ingest.chunks import (
    ChunkJob,
    ChunkWorkerFailed,
    ChunkWorkers,
    chunk_rows,
    plan_chunks,
)
from spend.ingest.load import rebuild_summaries
from spend.models import ImportBatch, Payment, SpendSummary, Supplier, SupplierSite
from tests.spend.test_ingest_quirks import R12_HEADER, r12_row

pytestmark = pytest.mark.django_db

CHUNK_BYTES = 16 * 1024  # small files cut into several chunks each


class Rollback(Exception):
    pass


def ledger_snapshot() -> dict[str, Any]:
    """Everything an import writes, in terms that do not depend on the ids it was given."""
    return {
        "payments": sorted(
            Payment.objects.values_list(
                "natural_key",
                "batch__file_name",
                "supplier__supplier_number",
                "site__site_code",
                "site__postcode",
                "category__name",
                "payment_date",
                "financial_year",
                "amount_pence",
                "currency",
                "is_spend",
                "status",
                "invoice_number",
                "invoice_date",
                "payment_reference",
                "cost_centre",
                "account",
                "account_description",
                "description",
                "source_line",
                "order_reference",
                "received_date",
                "terms_date",
                "due_date",
            )
        ),
        "suppliers": sorted(
            Supplier.objects.values_list("supplier_number", "name", "name_key", "name_as_of")
        ),
        "sites": sorted(
            SupplierSite.objects.values_list(
                "supplier__supplier_number",
                "site_code",
                "postcode",
                "address_line",
                "city",
                "district",
                "locality_class",
            )
        ),
        "summary": summary_rows(),
        "batches": sorted(
            ImportBatch.objects.values_list(
                "file_name",
                "status",
                "layout",
                "rows_read",
                "rows_added",
                "rows_already_present",
                "rows_not_spend",
                "rows_skipped",
                "rows_voided_later",
                "total_added_pence",
                "financial_years",
                "error",
            )
        ),
    }


def summary_rows() -> list[tuple[Any, ...]]:
    return sorted(
        SpendSummary.objects.values_list(
            "financial_year",
            "month",
            "supplier__supplier_number",
            "locality_class",
            F("category__name"),
            "total_pence",
            "payment_count",
        ),
        key=repr,
    )


def import_all(paths: list[Path]) -> dict[str, Any]:
    for path in paths:
        services.import_paths(paths=[path])
    return ledger_snapshot()


def in_one_process(paths: list[Path], settings: Any) -> dict[str, Any]:
    """The same files imported without cutting them, then rolled back."""
    settings.SPEND_IMPORT_WORKERS = 0
    try:
        with transaction.atomic():
            snapshot = import_all(paths)
            raise Rollback
    except Rollback:
        pass
    return snapshot


@pytest.fixture
def extracts(tmp_path: Path) -> list[Path]:
    # Every quirk of the format document: title lines, footers, BOM, semicolons, Windows-1252,
    # voids, credits, an overlapping re-extract; and an XLSX, which is never cut.
    cfg = GeneratorConfig(
        seed=5,
        first_fy=2020,
        years=4,
        as_of=dt.date(2024, 3, 31),
        suppliers=300,
        payments_per_month=100,
    )
    return [path for path, _ in generate_extracts(tmp_path / "extracts", cfg).files]


def test_cut_chunks_read_the_same_records_on_the_same_lines(tmp_path: Path) -> None:
    # Quoted fields with line breaks (\n, \r\n and a lone \r) and doubled quotes, CRLF lines.
    rows = [["ORG_ID", "DESCRIPTION", "AMOUNT"]]
    for n in range(3000):
        text = f"line {n}"
        if n % 7 == 0:
            text = f'two\r\nlines "{n}"'
        elif n % 11 == 0:
            text = f"old\rmac\nand unix {n}"
        rows.append([str(n), text, f"{n}.00"])
    path = tmp_path / "quoted.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)

    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        whole = []
        line = 1
        for row in reader:
            whole.append((line, row))
            line = reader.line_num + 1

    plans = plan_chunks(path, 2048)
    assert len(plans) > 20
    assert plans[0].start_byte == 0
    assert plans[-1].end_line is None
    read: list[tuple[int, list[str]]] = []
    with path.open("rb") as handle:
        for plan in plans:
            read.extend(chunk_rows(handle, "utf-8", ",", plan, header_line=1))
    assert read == whole[1:]


def test_a_large_extract_read_in_chunks_gives_the_ledger_of_one_reading(
    extracts: list[Path], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    expected = in_one_process(extracts, settings)
    settings.SPEND_IMPORT_WORKERS = 2
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES
    with caplog.at_level(logging.INFO, logger="spend.ingest.load"):
        got = import_all(extracts)
    # Every CSV extract was cut (the XLSX workbook is read in one process).
    assert caplog.text.count("parts in 2 processes") == len(
        [path for path in extracts if path.suffix == ".csv"]
    )
    assert got["batches"] == expected["batches"]
    assert got["payments"] == expected["payments"]
    assert got["suppliers"] == expected["suppliers"]
    assert got["sites"] == expected["sites"]
    assert got["summary"] == expected["summary"]
    assert len(got["payments"]) > 4000
    # Uploading the same rows again adds nothing and leaves the summary as it was.
    again = extracts[0].with_name("again.csv")
    again.write_bytes(extracts[0].read_bytes() + b"\r\n")
    [batch] = services.import_paths(paths=[again])
    assert batch.status == "loaded"
    assert batch.rows_added == 0
    assert batch.rows_read > 1000
    assert summary_rows() == got["summary"]


def test_the_summary_kept_up_by_imports_equals_one_rebuilt_from_the_ledger(
    extracts: list[Path], settings: Any
) -> None:
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES
    import_all(extracts)
    assert Payment.objects.filter(is_spend=False).exists()  # voids, some voided later
    kept = summary_rows()
    rebuild_summaries(Payment.objects.values_list("financial_year", flat=True).distinct())
    assert summary_rows() == kept


def test_a_cut_inside_a_quoted_field_is_caught_and_the_rest_read_in_one_process(
    tmp_path: Path, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # A stray quote in an unquoted field (the csv module keeps it as a character) makes the
    # quote count odd, so later cuts can fall inside quoted descriptions with line breaks.
    stray = r12_row(1, description="FLOPPY").replace("FLOPPY", 'Floppy disks 5" x 10')
    lines = [R12_HEADER, stray]
    lines += [
        r12_row(n, description=f"Waste\ncollected {n}\nround {n % 5}") for n in range(2, 1500)
    ]
    path = tmp_path / "stray_quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    expected = in_one_process([path], settings)
    settings.SPEND_IMPORT_WORKERS = 2
    settings.SPEND_IMPORT_CHUNK_BYTES = 8 * 1024
    with caplog.at_level(logging.INFO, logger="spend.ingest.load"):
        got = import_all([path])
    assert "was not cut at a record boundary" in caplog.text
    assert got == expected
    assert len(got["payments"]) == 1499
    assert Payment.objects.get(natural_key="r12|1|1").description == 'Floppy disks 5" x 10'


def test_a_bad_row_in_a_later_chunk_is_reported_as_one_reading_reports_it(
    tmp_path: Path, settings: Any
) -> None:
    lines = [R12_HEADER] + [r12_row(n, f"{n}.00") for n in range(1, 3000)]
    lines[2500] = r12_row(2500, "12.3.4")
    path = tmp_path / "bad_amount.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    expected = in_one_process([path], settings)
    settings.SPEND_IMPORT_WORKERS = 2
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES
    got = import_all([path])
    [batch] = got["batches"]
    assert batch == expected["batches"][0]
    assert batch[1] == "rejected"
    assert "Line 2501, column AMOUNT: '12.3.4' is not an amount" in batch[-1]
    assert got["payments"] == got["suppliers"] == got["summary"] == []


def test_leftover_chunk_tables_of_a_stopped_import_are_dropped_by_the_next(
    tmp_path: Path, settings: Any
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNLOGGED TABLE spend_chunk_0badf00d_3 (x int)")
    path = tmp_path / "small.csv"
    path.write_text("\n".join([R12_HEADER, r12_row(1)]) + "\n", encoding="cp1252")
    services.import_paths(paths=[path])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'spend_chunk_%'")
        assert cursor.fetchone()[0] == 0


def test_a_chunk_process_that_dies_is_reported_with_its_last_words(tmp_path: Path) -> None:
    path = tmp_path / "any.csv"
    path.write_text("\n".join([R12_HEADER] + [r12_row(n) for n in range(1, 400)]) + "\n")
    plans = plan_chunks(path, 8 * 1024)
    job = ChunkJob(
        conninfo="host=/nonexistent dbname=nothing",
        path=str(path),
        file_name=path.name,
        encoding="cp1252",
        delimiter=",",
        layout="r12",
        columns={},
        headers=[],
        header_line=1,
        category_rules=[],
        table_token="0000abcd",
    )
    workers = ChunkWorkers(2)
    try:
        workers.start(job, plans)
        with pytest.raises(ChunkWorkerFailed, match=r"part 1 of the file stopped \(exit 1\)"):
            workers.report(0)
    finally:
        workers.close()


def test_chunk_reports_in_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    # The mark is only at the start: a later chunk read as UTF-8 with BOM would lose nothing,
    # but the first must not keep it in the first heading.
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(
        [["A", "B"]] + [[str(n), "é" * (n % 4)] for n in range(2000)]
    )
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode("utf-8"))
    plans = plan_chunks(path, 1024)
    with path.open("rb") as handle:
        first = next(chunk_rows(handle, "utf-8-sig", ",", plans[0], header_line=0))
        rows = [
            row
            for plan in plans[1:]
            for row in chunk_rows(handle, "utf-8-sig", ",", plan, header_line=0)
        ]
    assert first == (1, ["A", "B"])
    assert rows[-1] == (2001, ["1999", "ééé"])


def test_a_file_merged_in_many_small_chunks_by_this_process_gives_the_same_ledger(
    extracts: list[Path], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spend.ingest import load

    expected = in_one_process(extracts, settings)
    monkeypatch.setattr(load, "ROWS_PER_CHUNK", 300)
    got = import_all(extracts)
    assert got == expected


@pytest.mark.parametrize("workers", [0, 2])
def test_a_key_repeated_in_a_later_chunk_keeps_its_first_line(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    from spend.ingest import load

    lines = [R12_HEADER] + [r12_row(n, f"{n}.00") for n in range(1, 3000)]
    lines.append(r12_row(5, "999.99", name="A later name"))  # the same payment line again
    path = tmp_path / "repeat.csv"
    path.write_text("\n".join(lines) + "\n", encoding="cp1252")
    settings.SPEND_IMPORT_WORKERS = workers
    settings.SPEND_IMPORT_CHUNK_BYTES = CHUNK_BYTES
    monkeypatch.setattr(load, "ROWS_PER_CHUNK", 500)
    [batch] = services.import_paths(paths=[path])
    assert (batch.rows_read, batch.rows_added, batch.rows_already_present) == (3000, 2999, 1)
    assert Payment.objects.get(natural_key="r12|5|1").amount_pence == 500
    assert Payment.objects.get(natural_key="r12|5|1").source_line == 6
    # The newest name still wins for the supplier (all rows are the same supplier and day).
    assert Supplier.objects.get().name == "A later name"
    assert sum(SpendSummary.objects.values_list("total_pence", flat=True)) == sum(
        n * 100 for n in range(1, 3000)
    )
