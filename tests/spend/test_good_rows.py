"""Issue 13 item 6: "import the good rows" is an explicit choice on a refused file; the refused
rows come back as a CSV (line, column, value, reason). The default stays all-or-nothing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from portal import services as portal_services
from spend import services
from spend.models import ImportBatch, Payment

ROWS = [
    ("Transaction Number", "Supplier Name", "Payment Date", "Amount"),
    ("T1", "ANYTOWN CARE LTD", "03/04/2024", "1,200.00"),
    ("T2", "ROADS PLC", "31/02/2024", "640.55"),  # no such date
    ("T3", "BLUE SKY NURSERY", "07/04/2024", "twelve pounds"),
    ("T4", "HILLTOP TRUST", "", "50.00"),  # a payment with no date
    ("T5", "OAKWOOD FARM", "09/04/2024", "-19.99"),
]


@pytest.mark.django_db
def test_refused_file_imports_its_good_rows_only_when_chosen(
    tmp_path: Path, administrator: Any
) -> None:
    path = tmp_path / "april.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    [batch] = services.import_paths(paths=[path])
    assert batch.status == ImportBatch.Status.REJECTED  # the default: all or nothing
    assert batch.error_line == 3
    assert Payment.objects.count() == 0

    client = Client()
    client.force_login(administrator)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "Import the good rows" in page
    client.post(reverse("spend:import-action", args=[batch.pk]), {"action": "good-rows"})
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.WAITING
    assert batch.job is not None
    portal_services.job_run(job_id=batch.job.pk)  # the queued job, run here

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.LOADED
    good = [ROWS[1], ROWS[5]]
    expected = sum(int(Decimal(r[3].replace(",", "")) * 100) for r in good)
    assert Payment.objects.aggregate(t=Sum("amount_pence"))["t"] == expected
    assert "refused_before" in batch.report

    response = client.get(reverse("spend:import-refused", args=[batch.pk]))
    assert response.status_code == 200
    # utf-8-sig: the download starts with a byte-order mark, for Excel.
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    refused = list(csv.reader(io.StringIO(text)))
    assert refused[0] == ["Line", "Column", "Value", "Reason"]
    assert [(r[0], r[1], r[2]) for r in refused[1:]] == [
        ("3", "Payment Date", "31/02/2024"),
        ("4", "Amount", "twelve pounds"),
        ("5", "Payment Date", ""),
    ]
    assert all(r[3] for r in refused[1:])
    assert "3 rows refused" in client.get(batch.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_only_an_administrator_can_choose_the_good_rows(tmp_path: Path, councillor: Any) -> None:
    path = tmp_path / "april.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    [batch] = services.import_paths(paths=[path])
    client = Client()
    client.force_login(councillor)
    response = client.post(reverse("spend:import-action", args=[batch.pk]), {"action": "good-rows"})
    assert response.status_code == 403
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.REJECTED
