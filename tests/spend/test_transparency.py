"""The public spend-over-£500 file: LGTC layout, threshold per transaction, credit notes,
redaction of payments to individuals, formula-safe cells; checked against the plan."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from django.test import Client, override_settings

from spend import services
from tests.spend.conftest import Expected
from tests.spend.test_ingest_quirks import R12_HEADER

pytestmark = pytest.mark.django_db

HEADER = [
    "Organisation name",
    "Organisation code",
    "Effective date",
    "Service area/department",
    "Expense type",
    "Beneficiary",
    "Supplier number",
    "Transaction number",
    "Amount",
]


def read_csv(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(cast(Any, response).streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("threshold", [500, 5000])
def test_a_month_file_matches_the_plan(
    ledger: object, expected: Expected, client: Client, threshold: int
) -> None:
    month = next(line.month for line in expected.lines if line.fy == 2023)
    lines = [line for line in expected.lines if line.month == month]
    transactions: dict[tuple[str, str, str], int] = defaultdict(int)
    for line in lines:
        transactions[(line.supplier, line.invoice, line.payment)] += line.pence
    published = [
        line
        for line in lines
        if abs(transactions[(line.supplier, line.invoice, line.payment)]) >= threshold * 100
    ]
    if threshold == 5000:
        assert len(published) < len(lines)  # the threshold leaves some out
    query = "" if threshold == 500 else f"?threshold={threshold}"
    rows = read_csv(client, f"/spend/transparency/{month.year}/{month.month}.csv{query}")
    assert len(rows) == len(published)
    # The count the files page shows for the month, split invoices included.
    from spend.selectors import transparency_month_rows

    assert transparency_month_rows(month, threshold * 100) == len(published)
    assert (
        sum(Decimal(r["Amount"]) for r in rows)
        == Decimal(sum(line.pence for line in published)) / 100
    )
    assert {r["Supplier number"] for r in rows} == {line.supplier for line in published}
    assert all(r["Organisation name"] == "Lancashire County Council" for r in rows)
    assert all(r["Organisation code"] == "" for r in rows)
    dates = {r["Effective date"] for r in rows}
    assert all(d.endswith(f"/{month:%m/%Y}") for d in dates)
    negative = [line for line in published if line.pence < 0]
    assert len([r for r in rows if r["Amount"].startswith("-")]) == len(negative)
    # The page lists the month with a link to its file.
    page = client.get("/spend/transparency/").content.decode()
    assert f"/spend/transparency/{month.year}/{month.month}.csv" in page
    assert f"{month:%B %Y}" in page


def r12_line(
    number: int,
    *,
    vendor: str,
    name: str,
    amount: str,
    description: str = "Waste Disposal Contracts",
) -> str:
    def quote(text: str) -> str:
        if any(ch in text for ch in ',"\n'):
            return '"' + text.replace('"', '""') + '"'
        return text

    cells = [
        "101", str(5000 + number), f"INV-{number}", "05-MAY-23", vendor, name, "MAIN",
        "1 High St", "Preston", "PR1 2HE", str(7000 + number), "19-MAY-23", "NEGOTIABLE",
        str(number), "1", amount, "GBP", "AS1001", "52100", description, "note",
    ]  # fmt: skip
    return ",".join(quote(c) for c in cells)


def test_individuals_are_redacted_and_cells_cannot_be_formulas(
    db: None, tmp_path: Path, client: Client
) -> None:
    path = tmp_path / "may.csv"
    path.write_text(
        "\n".join(
            [
                R12_HEADER,
                r12_line(1, vendor="200001", name="MRS JANE EXAMPLE", amount="750.00"),
                r12_line(2, vendor="200002", name="Redacted personal data", amount="900.00"),
                r12_line(3, vendor="200003", name='=HYPERLINK("http://x")', amount="1200.00"),
                r12_line(4, vendor="200004", name="MRS TILEY'S TEAS LTD", amount="499.99"),
                r12_line(
                    5, vendor="200005", name="ACME LTD", amount="600.00-", description="+Credit"
                ),
            ]
        )
        + "\n"
    )
    services.import_paths(paths=[path])
    rows = read_csv(client, "/spend/transparency/2023/5.csv")
    by_amount = {r["Amount"]: r for r in rows}
    assert set(by_amount) == {"750.00", "900.00", "1200.00", "-600.00"}  # 499.99 is under
    for amount in ("750.00", "900.00"):
        assert by_amount[amount]["Beneficiary"] == "Redacted personal data"
        assert by_amount[amount]["Supplier number"] == ""
    assert by_amount["1200.00"]["Beneficiary"].startswith("'=HYPERLINK")
    assert by_amount["-600.00"]["Expense type"] == "'+Credit"
    assert by_amount["-600.00"]["Beneficiary"] == "ACME LTD"
    with override_settings(SPEND_INDIVIDUAL_NAME_PATTERN="", COUNCIL_ORGANISATION_CODE="E10000017"):
        rows = read_csv(client, "/spend/transparency/2023/5.csv")
        by_amount = {r["Amount"]: r for r in rows}
        assert by_amount["750.00"]["Beneficiary"] == "MRS JANE EXAMPLE"
        assert by_amount["900.00"]["Beneficiary"] == "Redacted personal data"
        assert {r["Organisation code"] for r in rows} == {"E10000017"}


def test_the_public_gets_the_files_and_nothing_else(ledger: object, client: Client) -> None:
    assert client.get("/spend/transparency/").status_code == 200
    assert client.get("/spend/transparency/2023/5.csv").status_code == 200
    assert client.get("/spend/transparency/2023/13.csv").status_code == 404
    for url in (
        "/spend/",
        "/spend/suppliers/",
        "/spend/payments/",
        "/spend/categories/",
        "/spend/locality/",
        "/spend/tail/",
        "/spend/imports/",
    ):
        assert client.get(url).status_code == 302, url
