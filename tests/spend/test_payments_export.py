"""The payments download streams: read back row by row it is the payments the test wrote (the
page's filters applied, voided payments left out as the page leaves them out), its header is
sent before the ledger is read, formula-like text is neutralised, and a format the portal does
not offer is refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from portal import exports as portal_exports
from portal.models import Job, User
from spend.models import Supplier
from tests.conftest import WorkerProcess, downloaded, wait_for
from tests.ledger import HOME, REGION, Line, import_lines

pytestmark = pytest.mark.django_db

LINES = [
    Line(1, "100", "1200.50", dt.date(2023, 4, 3), name="Acme Waste Ltd"),
    Line(2, "100", "-75.25", dt.date(2023, 5, 9), name="Acme Waste Ltd"),  # a credit note
    Line(3, "100", "999.99", dt.date(2023, 5, 10), name="Acme Waste Ltd", status="VOIDED"),
    Line(4, "200", "310.00", dt.date(2023, 5, 11), postcode=REGION, name="=HYPERLINK(1)"),
    Line(5, "200", "42.00", dt.date(2024, 4, 2), postcode=REGION, name="=HYPERLINK(1)"),
    Line(6, "300", "8.10", dt.date(2023, 6, 1), postcode=HOME, name="@SUM(A1:A9)"),
]
LOCALITY = {HOME: "Home area", REGION: "Rest of region"}


def _expected(lines: Iterable[Line]) -> list[list[str]]:
    """The rows the download should have, from the lines alone, newest first as the page."""
    kept = [line for line in lines if line.status != "VOIDED"]
    kept.sort(key=lambda line: line.day, reverse=True)
    rows = []
    for line in kept:
        name = line.name
        if name[0] in "=+-@":
            name = "'" + name
        rows.append(
            [
                line.day.isoformat(),
                name,
                f"INV-{line.payment}",
                f"7{line.payment:06d}",
                "AS1001",
                "Waste Disposal Contracts",
                "Waste",  # account 52100 under the starting category rules
                LOCALITY[line.postcode],
                f"{Decimal(line.pounds):.2f}",
            ]
        )
    return rows


def _read(response: Any) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(cast(Iterable[bytes], response.streaming_content)).decode("utf-8")
    assert body.startswith("\ufeff")  # for Excel
    return list(csv.reader(body[1:].splitlines()))


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    import_lines(tmp_path, LINES)


def test_the_download_is_the_payments_the_page_lists(
    ledger: None, councillor: User, client: Client
) -> None:
    client.force_login(councillor)
    header, *rows = _read(client.get("/spend/payments/", {"_export": "csv"}))
    assert header == [
        "Paid",
        "Supplier",
        "Invoice",
        "Payment reference",
        "Cost centre",
        "Expense type",
        "Category",
        "Locality",
        "Amount",
    ]
    assert rows == _expected(LINES)

    # The page's filters apply to the download: one year, one supplier.
    fy_2023 = [line for line in LINES if dt.date(2023, 4, 1) <= line.day < dt.date(2024, 4, 1)]
    _, *rows = _read(client.get("/spend/payments/", {"_export": "csv", "fy": "2023"}))
    assert rows == _expected(fy_2023)
    acme = Supplier.objects.get(supplier_number="100")
    _, *rows = _read(client.get("/spend/payments/", {"_export": "csv", "supplier": str(acme.pk)}))
    assert rows == _expected(line for line in LINES if line.supplier == "100")


def test_the_header_is_sent_before_the_ledger_is_read(
    ledger: None, councillor: User, client: Client
) -> None:
    client.force_login(councillor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/spend/payments/", {"_export": "csv"})
        read_before = [q["sql"] for q in queries.captured_queries if "spend_payment" in q["sql"]]
        chunks = iter(cast(Iterable[bytes], cast(Any, response).streaming_content))
        first = next(chunks) + next(chunks)  # the byte-order mark, then the header
        read_at_header = [q["sql"] for q in queries.captured_queries if "spend_payment" in q["sql"]]
        rest = b"".join(chunks)
    header = "Paid,Supplier,Invoice,Payment reference,Cost centre,Expense type,Category,Locality"
    assert first.decode("utf-8") == "\ufeff" + header + ",Amount\r\n"
    assert read_before == read_at_header == []  # no payment row had been read yet
    assert len(rest.decode("utf-8").splitlines()) == len(_expected(LINES))


def test_formula_like_text_is_neutralised_in_the_stream(
    ledger: None, councillor: User, client: Client
) -> None:
    client.force_login(councillor)
    _, *rows = _read(client.get("/spend/payments/", {"_export": "csv"}))
    suppliers = {row[1] for row in rows}
    assert suppliers == {"Acme Waste Ltd", "'=HYPERLINK(1)", "'@SUM(A1:A9)"}
    assert "-75.25" in {row[-1] for row in rows}  # a negative amount stays a number


@pytest.mark.parametrize("path", ["/spend/payments/", "/spend/suppliers/", "/contracts/"])
@pytest.mark.parametrize("wanted", ["json", "yaml", "latex", "tsv"])
def test_a_format_not_offered_is_refused(
    ledger: None, officer: User, client: Client, path: str, wanted: str
) -> None:
    client.force_login(officer)
    response = client.get(path, {"_export": wanted})
    assert response.status_code == 400
    assert "CSV or XLSX" in response.content.decode()


def test_class_based_table_pages_stream_their_csv(
    ledger: None, officer: User, client: Client
) -> None:
    client.force_login(officer)
    for path in ("/contracts/", "/contracts/awards/", "/register/"):
        response = client.get(path, {"_export": "csv"})
        assert isinstance(response, StreamingHttpResponse), path
        assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.worker
def test_a_spreadsheet_too_big_for_a_request_is_built_by_a_worker(
    tmp_path: Path,
    councillor: User,
    client: Client,
    celery_worker: WorkerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import_lines(tmp_path, LINES)
    # The limit is 100,000 rows; lowered here so a handful of payments is "too many".
    monkeypatch.setattr(portal_exports, "XLSX_MAX_ROWS", 2)
    client.force_login(councillor)
    fy_2023 = [line for line in LINES if dt.date(2023, 4, 1) <= line.day < dt.date(2024, 4, 1)]
    queued = client.get("/spend/payments/", {"fy": "2023", "_export": "xlsx"})
    job = Job.objects.get(kind="spend.payments_xlsx")
    assert queued.status_code == 302
    assert queued["Location"] == f"/reports/#job-{job.pk}"
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=90)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, (job.error, celery_worker.log())
    assert job.progress == 100
    assert job.result["rows"] == len([line for line in fy_2023 if line.status != "VOIDED"])
    # The reports centre lists it, and anyone who may read downloads it.
    assert f"/reports/{job.pk}/files/0/" in client.get("/reports/").content.decode()
    download = client.get(f"/reports/{job.pk}/files/0/")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(downloaded(download)), read_only=True)
    header, *rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert header == _read(client.get("/spend/payments/", {"_export": "csv"}))[0]
    as_text = [[*(str(cell) for cell in row[:-1]), f"{Decimal(str(row[-1])):.2f}"] for row in rows]
    # Category and locality come from reference data (category rules, postcode districts)
    # that a transactional test before this one may have emptied: those two columns are
    # checked against the page's own CSV of the same filters, every other against the lines.
    _, *streamed = _read(client.get("/spend/payments/", {"fy": "2023", "_export": "csv"}))
    assert [row[6:8] for row in as_text] == [row[6:8] for row in streamed]
    assert [row[:6] + row[8:] for row in as_text] == [
        row[:6] + row[8:] for row in _expected(fy_2023)
    ]
