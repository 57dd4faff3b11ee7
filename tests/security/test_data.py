"""Security and reliability, part B (issue 23): data, uploads, exports, reliability.

One test per item of the review, named after it; each failed before its fix.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from portal.models import User
from spend import services as spend_services
from spend.models import ImportBatch, Payment

pytestmark = pytest.mark.django_db

R12_SAMPLE = ("samples", "r12_paid_invoices_sample.csv")


def _r12_with_last_row_changed(data_dir: Path, tmp_path: Path, name: str, **cells: str) -> Path:
    """The real R12 sample with one more payment: a copy of its last row with cells changed."""
    lines = (data_dir.joinpath(*R12_SAMPLE)).read_bytes().decode("cp1252").splitlines()
    header = lines[0].split(",")
    [last] = list(csv.reader([lines[-1]]))
    row = dict(zip(header, last, strict=True))
    row["INVOICE_PAYMENT_ID"] = "99999991"
    row.update(cells)
    out = tmp_path / name
    with out.open("w", newline="", encoding="cp1252") as handle:
        handle.write("\r\n".join(lines) + "\r\n")
        csv.writer(handle, lineterminator="\r\n").writerow([row[h] for h in header])
    return out


# --- 3. Placeholder payment dates ----------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["31-DEC-9999", "01-JAN-0001"])
def test_3_placeholder_payment_dates_are_refused_with_line_and_column(
    data_dir: Path, tmp_path: Path, administrator: User, client: Client, placeholder: str
) -> None:
    path = _r12_with_last_row_changed(data_dir, tmp_path, "march.csv", CHECK_DATE=placeholder)
    line = len(path.read_bytes().splitlines())
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.REJECTED
    assert (batch.error_line, batch.error_column) == (line, "CHECK_DATE")
    assert batch.error.startswith(f"march.csv: Line {line}, column CHECK_DATE: ")
    assert placeholder in batch.error
    assert "1 April 1990" in batch.error
    # All or nothing: none of the file's good rows went in either.
    assert Payment.objects.count() == 0
    client.force_login(administrator)
    for page in ("/spend/", "/spend/locality/"):
        assert client.get(page).status_code == 200


def test_3_the_plausible_window_is_a_setting(
    data_dir: Path, tmp_path: Path, administrator: User, settings: Any
) -> None:
    path = _r12_with_last_row_changed(data_dir, tmp_path, "old.csv", CHECK_DATE="01-APR-20")
    settings.SPEND_EARLIEST_PAYMENT_DATE = dt.date(2020, 4, 2)
    settings.SPEND_PAYMENT_DAYS_AHEAD = 365
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.REJECTED
    assert "2 April 2020" in batch.error
    settings.SPEND_EARLIEST_PAYMENT_DATE = dt.date(2020, 4, 1)
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.LOADED, batch.error


# --- Low: an amount too large for the ledger -------------------------------------------------


def test_low_a_huge_amount_is_refused_with_line_and_column(
    data_dir: Path, tmp_path: Path, administrator: User
) -> None:
    path = _r12_with_last_row_changed(
        data_dir, tmp_path, "huge.csv", AMOUNT="99999999999999999999.99"
    )
    line = len(path.read_bytes().splitlines())
    [batch] = spend_services.import_paths(paths=[path], user=administrator)
    assert batch.status == ImportBatch.Status.REJECTED, batch.error
    assert (batch.error_line, batch.error_column) == (line, "AMOUNT")
    assert "99999999999999999999.99" in batch.error
    assert Payment.objects.count() == 0
