"""The optional invoice received, terms and due dates of the Oracle layouts reach the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from spend import services
from spend.ingest.parse import read_all
from spend.models import ImportBatch, Payment
from tests.payments.ledger import Row, import_rows, write_r12
from tests.spend.test_ingest_quirks import FUSION_HEADER, R12_HEADER, r12_row

D = dt.date


def test_r12_dates_are_read_and_stored(db: None, tmp_path: Path) -> None:
    rows = [
        Row(1, "100", "A1", D(2026, 1, 2), D(2026, 1, 20), 10000, D(2026, 1, 5), D(2026, 2, 4),
            D(2026, 1, 5)),
        Row(2, "100", "A2", D(2026, 1, 3), D(2026, 1, 21), 2000),
    ]  # fmt: skip
    import_rows(tmp_path, rows)
    first = Payment.objects.get(natural_key="r12|1|1")
    assert (first.received_date, first.terms_date, first.due_date) == (
        D(2026, 1, 5),
        D(2026, 1, 5),
        D(2026, 2, 4),
    )
    second = Payment.objects.get(natural_key="r12|2|1")
    assert (second.received_date, second.terms_date, second.due_date) == (None, None, None)


def test_files_without_the_columns_still_import(db: None, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(R12_HEADER + "\r\n" + r12_row(9) + "\r\n", encoding="utf-8")
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.LOADED
    assert Payment.objects.get().received_date is None


def test_fusion_synonyms(tmp_path: Path) -> None:
    header = [*FUSION_HEADER, "Invoice Received Date", "Terms Date", "Payment Due Date"]
    row = [
        "LCC BU", "300001", "F-1", "2026-01-02", "200", "ACME LTD", "MAIN", "1 Road", "Preston",
        "PR1 2HE", "9001", "2026-02-10", "Negotiable", "1", "120.00", "GBP", "CC1", "52100",
        "Waste", "Bins", "2026-01-06", "2026-01-06", "2026-02-05",
    ]  # fmt: skip
    path = tmp_path / "fusion.csv"
    path.write_text(",".join(header) + "\r\n" + ",".join(row) + "\r\n", encoding="utf-8")
    _, [payment] = read_all(path, path.name)
    assert payment.received_date == D(2026, 1, 6)
    assert payment.terms_date == D(2026, 1, 6)
    assert payment.due_date == D(2026, 2, 5)


def test_a_bad_received_date_names_the_cell_and_loads_nothing(db: None, tmp_path: Path) -> None:
    good = Row(1, "100", "A1", D(2026, 1, 2), D(2026, 1, 20), 10000, D(2026, 1, 5))
    path = write_r12(tmp_path / "bad.csv", [good])
    text = path.read_text().replace("05-JAN-26", "31-FEB-26")
    path.write_text(text)
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error_line == 2
    assert batch.error_column == "INVOICE_RECEIVED_DATE"
    assert "31-FEB-26" in batch.error
    assert not Payment.objects.exists()


@pytest.mark.parametrize("name", ["INVOICE_RECEIVED_DATE", "RECEIVED_DATE"])
def test_r12_received_synonyms(tmp_path: Path, name: str) -> None:
    path = tmp_path / "r.csv"
    header = R12_HEADER + "," + name
    path.write_text(header + "\r\n" + r12_row(1) + ",07-APR-21\r\n", encoding="utf-8")
    _, [payment] = read_all(path, path.name)
    assert payment.received_date == D(2021, 4, 7)
