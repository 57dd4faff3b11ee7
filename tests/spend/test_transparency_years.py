"""The public spend files by financial year: row counts per month, the whole-year file as
CSV and XLSX (the months' rows exactly, voided payments left out and individuals redacted as
the monthly files do), and months with no file said so."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest
from django.test import Client

from portal import exports as portal_exports
from spend import selectors
from spend.models import Payment
from tests.ledger import Line, import_lines
from tests.spend.test_transparency import HEADER, read_csv  # the Transparency Code's columns

pytestmark = pytest.mark.django_db

INDIVIDUAL = "MRS JANE EXAMPLE"

# 2023/24: April, May and July have payments; June has none (a gap the page must show).
LINES = [
    Line(1, "100", "750.00", dt.date(2023, 4, 3)),
    Line(2, "100", "499.99", dt.date(2023, 4, 4)),  # under £500: in no file
    Line(3, "200", "1200.00", dt.date(2023, 4, 20), name=INDIVIDUAL),  # redacted
    Line(4, "300", "-650.00", dt.date(2023, 5, 2)),  # a credit note over £500
    Line(5, "300", "900.00", dt.date(2023, 5, 9)),  # voided in a later file
    Line(6, "400", "5000.00", dt.date(2023, 7, 14)),
    Line(7, "100", "800.00", dt.date(2024, 2, 1)),
]
VOIDED = [Line(5, "300", "900.00", dt.date(2023, 5, 9), status="VOIDED")]


@pytest.fixture
def ledger(tmp_path: Path) -> None:
    import_lines(tmp_path, LINES, "year.csv")
    import_lines(tmp_path, VOIDED, "voids.csv")


def expected_rows() -> list[tuple[str, str, str, str, str]]:
    """What the year's file must hold, worked out from the lines written above."""
    voided = {line.payment for line in VOIDED}
    rows = []
    for line in sorted(LINES, key=lambda line: (line.day, line.payment)):
        if line.payment in voided or abs(line.pence) < 500_00 or line.fy != 2023:
            continue
        individual = line.name == INDIVIDUAL
        rows.append(
            (
                f"{line.day:%d/%m/%Y}",
                "Redacted personal data" if individual else f"Supplier {line.supplier}",
                "" if individual else line.supplier,
                f"7{line.payment:06d}",  # the payment (check) number the extract carries
                f"{Decimal(line.pounds):.2f}",
            )
        )
    return rows


def _pick(row: dict[str, Any]) -> tuple[str, str, str, str, str]:
    return (
        str(row["Effective date"]),
        str(row["Beneficiary"]),
        str(row["Supplier number"] or ""),
        str(row["Transaction number"]),
        f"{Decimal(str(row['Amount'])):.2f}",
    )


def test_the_whole_year_csv_is_the_months_rows(ledger: None, client: Client) -> None:
    response = client.get("/spend/transparency/year/2023.csv")  # no sign-in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "spend-over-500-2023-24.csv" in response["Content-Disposition"]
    body = b"".join(cast(Any, response).streaming_content).decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == HEADER
    got = [_pick(dict(zip(HEADER, row, strict=True))) for row in rows[1:]]
    assert got == expected_rows()
    # Each row is the row of its month's file.
    monthly = []
    for year, month in sorted({(line.day.year, line.day.month) for line in LINES}):
        month_body = b"".join(
            cast(Any, client.get(f"/spend/transparency/{year}/{month}.csv")).streaming_content
        )
        monthly += list(csv.reader(io.StringIO(month_body.decode().lstrip("\ufeff"))))[1:]
    assert rows[1:] == monthly


def test_the_whole_year_xlsx_has_the_same_rows(ledger: None, client: Client) -> None:
    response = client.get("/spend/transparency/year/2023.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(cast(Any, response).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    got = [_pick(dict(zip(HEADER, row, strict=True))) for row in values[1:]]
    assert got == expected_rows()


def test_years_show_row_counts_and_flag_missing_months(ledger: None, client: Client) -> None:
    page = client.get("/spend/transparency/")
    assert page.status_code == 200
    html = page.content.decode()
    expected = expected_rows()
    assert "2023/24" in html
    assert f"Whole year ({len(expected)} rows)" in html
    assert "No file for June 2023" in html
    for month in ("April 2023", "May 2023", "July 2023", "February 2024"):
        assert f"No file for {month}" not in html
    assert "No file for March 2024" in html  # over, and nothing was paid in it
    # The months' counts, from the rows above (April: two; May: the credit note).
    by_month: dict[str, int] = {}
    for row in expected:
        day = dt.datetime.strptime(row[0], "%d/%m/%Y").date()
        by_month[f"{day:%B %Y}"] = by_month.get(f"{day:%B %Y}", 0) + 1
    flat = re.sub(r"\s+", " ", html)
    for month, count in by_month.items():
        assert (
            f'{month}</th> <td class="govuk-table__cell govuk-table__cell--numeric">{count}<'
            in flat
        )
    assert "/spend/transparency/year/2023.csv" in html
    assert "/spend/transparency/year/2023.xlsx" in html


def test_a_year_file_that_does_not_exist_is_not_found(ledger: None, client: Client) -> None:
    assert client.get("/spend/transparency/year/2023.pdf").status_code == 404
    assert client.get("/spend/transparency/year/1066.csv").status_code == 404


def test_a_year_too_big_for_a_spreadsheet_offers_the_csv_and_refuses_the_xlsx(
    ledger: None, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-year file is public, so a spreadsheet too big to build in a request is not a
    job (whose file the reports centre keeps for signed-in staff) but refused, pointing at the
    CSV, which streams whatever its size."""
    rows = len(expected_rows())
    monkeypatch.setattr(portal_exports, "XLSX_MAX_ROWS", rows)  # at the limit: still built
    assert client.get("/spend/transparency/year/2023.xlsx").status_code == 200
    assert "/spend/transparency/year/2023.xlsx" in client.get("/spend/transparency/").text

    monkeypatch.setattr(portal_exports, "XLSX_MAX_ROWS", rows - 1)
    page = client.get("/spend/transparency/").text
    assert "/spend/transparency/year/2023.xlsx" not in page  # not offered
    assert "/spend/transparency/year/2023.csv" in page
    assert "more rows than the" in page
    refused = client.get("/spend/transparency/year/2023.xlsx", follow=True)
    assert refused.redirect_chain == [("/spend/transparency/", 302)]
    text = re.sub(r"\s+", " ", refused.text)
    assert f"has {rows} rows, more than the {rows - 1} a spreadsheet download can hold" in text
    assert "Download it as CSV" in text
    csv_file = client.get("/spend/transparency/year/2023.csv")  # the CSV is still whole
    body = b"".join(cast(Any, csv_file).streaming_content).decode().lstrip("\ufeff")
    assert len(list(csv.reader(io.StringIO(body)))) == rows + 1


def test_the_files_page_lists_months_ended_and_this_month_only_once_it_has_spend(
    ledger: None, tmp_path: Path
) -> None:
    def listed(today: dt.date) -> list[tuple[int, list[tuple[dt.date, int | None]]]]:
        return [
            (y.fy, [(m.month, m.rows) for m in y.months])
            for y in selectors.transparency_years(today)
        ]

    # Mid-March 2024: March has no spend yet, so it is neither a file nor a gap.
    [(fy, months)] = listed(dt.date(2024, 3, 15))
    assert fy == 2023
    assert [m for m, _ in months] == [dt.date(2024, m, 1) for m in (2, 1)] + [
        dt.date(2023, m, 1) for m in range(12, 3, -1)
    ]
    rows = dict(months)
    assert rows[dt.date(2023, 6, 1)] is None  # ended with nothing paid: a gap
    assert rows[dt.date(2023, 4, 1)] == 2
    # On 1 April it has ended: a gap.
    [(_, months)] = listed(dt.date(2024, 4, 1))
    assert months[0] == (dt.date(2024, 3, 1), None)
    # A payment in 2024/25 puts that year first, with only its month so far.
    import_lines(tmp_path, [Line(8, "100", "600.00", dt.date(2024, 4, 10))], "april.csv")
    assert listed(dt.date(2024, 4, 20))[0] == (2024, [(dt.date(2024, 4, 1), 1)])
    assert [fy for fy, _ in listed(dt.date(2024, 4, 20))] == [2024, 2023]


def test_a_month_with_spend_but_nothing_over_the_threshold_has_no_rows(ledger: None) -> None:
    may = dt.date(2023, 5, 1)  # a £650 credit note (its £900 payment voided)
    assert selectors.transparency_month_rows(may, 500_00) == 1
    assert selectors.transparency_month_rows(may, 1000_00) == 0


def _python_file(month: dt.date) -> list[tuple[Any, ...]]:
    return list(selectors.transparency_rows(month))


def test_the_councils_settings_decide_the_code_and_whether_individuals_are_redacted(
    ledger: None, client: Client, settings: Any
) -> None:
    april = dt.date(2023, 4, 1)
    settings.COUNCIL_ORGANISATION_CODE = "E10000017"
    assert {row[1] for row in _python_file(april)} == {"E10000017"}
    settings.SPEND_REDACT_INDIVIDUALS = False
    names = {row[5] for row in _python_file(april)}
    assert INDIVIDUAL in names
    assert INDIVIDUAL in {
        r["Beneficiary"] for r in read_csv(client, "/spend/transparency/2023/4.csv")
    }
    settings.SPEND_REDACT_INDIVIDUALS = True
    assert INDIVIDUAL not in {row[5] for row in _python_file(april)}


def test_a_payment_without_a_payment_number_is_published_under_its_invoice_number(
    ledger: None, client: Client
) -> None:
    Payment.objects.filter(invoice_number="INV-6").update(payment_reference="")
    [row] = read_csv(client, "/spend/transparency/2023/7.csv")
    assert row["Transaction number"] == "INV-6"
    assert [r[7] for r in _python_file(dt.date(2023, 7, 1))] == ["INV-6"]


def test_a_payment_of_exactly_500_pounds_is_published_and_a_penny_less_is_not(
    db: None, tmp_path: Path, client: Client
) -> None:
    lines = [
        Line(1, "100", "500.00", dt.date(2024, 5, 2)),
        Line(2, "200", "499.99", dt.date(2024, 5, 3)),
        Line(3, "300", "-500.00", dt.date(2024, 5, 4)),  # a credit note of £500
    ]
    import_lines(tmp_path, lines)
    may = dt.date(2024, 5, 1)
    assert selectors.transparency_month_rows(may) == 2
    assert [row[8] for row in selectors.transparency_rows(may)] == [
        Decimal("500.00"),
        Decimal("-500.00"),
    ]
    amounts = [r["Amount"] for r in read_csv(client, "/spend/transparency/2024/5.csv")]
    assert amounts == ["500.00", "-500.00"]


def test_the_months_that_can_be_published_are_listed_newest_first(ledger: None) -> None:
    with_spend = sorted({line.day.replace(day=1) for line in LINES}, reverse=True)
    assert selectors.transparency_months() == with_spend
