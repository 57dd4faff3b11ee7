"""How figures are printed and exported, at the edges users meet: the financial year from
1 April, quarters' first and last days, half-up rounding, and every formula prefix."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.http import HttpResponse
from django.test import Client

from portal import exports, formatting, money, periods
from socialvalue.periods import FyQuarter
from tests.conftest import downloaded
from tests.ledger import Line, import_lines

# --- Financial years and quarters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2024, 3, 31), 2023),
        (dt.date(2024, 4, 1), 2024),
        (dt.date(2024, 4, 30), 2024),
        (dt.date(2024, 5, 1), 2024),
        (dt.date(2024, 12, 31), 2024),
        (dt.date(2025, 1, 1), 2024),
        (dt.date(2025, 3, 31), 2024),
    ],
)
def test_the_financial_year_starts_on_1_april(day: dt.date, fy: int) -> None:
    assert periods.financial_year_of(day) == fy


def test_financial_year_and_month_labels() -> None:
    assert formatting.financial_year_label(2023) == "2023/24"
    assert formatting.financial_year_label(1999) == "1999/00"
    assert formatting.financial_year_label(2009) == "2009/10"
    assert formatting.month_label(dt.date(2023, 4, 1)) == "Apr-23"
    assert formatting.month_name(dt.date(2024, 3, 1)) == "March 2024"


# Each social value quarter of 2024/25 by its first and last day.
QUARTERS_2024 = [
    (1, dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    (2, dt.date(2024, 7, 1), dt.date(2024, 9, 30)),
    (3, dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
    (4, dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
]


@pytest.mark.parametrize(("quarter", "first", "last"), QUARTERS_2024)
def test_social_value_quarters_by_their_first_and_last_day(
    quarter: int, first: dt.date, last: dt.date
) -> None:
    period = FyQuarter(2024, quarter)
    assert (period.start, period.end) == (first, last)
    assert FyQuarter.containing(first) == period
    assert FyQuarter.containing(last) == period
    assert FyQuarter.containing(first - dt.timedelta(days=1)) != period
    assert period.due == last + dt.timedelta(days=30)
    assert period.label == f"Q{quarter} 2024/25"


def test_the_year_before_1_april_is_the_previous_years_fourth_quarter() -> None:
    assert FyQuarter.containing(dt.date(2024, 3, 31)) == FyQuarter(2023, 4)
    assert FyQuarter.of_year(2024) == [FyQuarter(2024, q) for q in (1, 2, 3, 4)]
    assert FyQuarter(2024, 4).months == "January to March 2025"


# The months of each social value quarter of a financial year (April to June is quarter 1).
QUARTER_MONTHS = {1: (4, 5, 6), 2: (7, 8, 9), 3: (10, 11, 12), 4: (1, 2, 3)}


@pytest.mark.parametrize("quarter", [1, 2, 3, 4])
def test_every_day_of_a_quarters_months_is_in_that_quarter(quarter: int) -> None:
    for month in QUARTER_MONTHS[quarter]:
        year = 2024 if month >= 4 else 2025
        for day in (dt.date(year, month, 1), dt.date(year, month, 28)):
            assert FyQuarter.containing(day) == FyQuarter(2024, quarter)
    first, last = QUARTER_MONTHS[quarter][0], QUARTER_MONTHS[quarter][-1]
    names = "January February March April May June July August September October November December"
    month_names = names.split()
    year = 2024 if quarter < 4 else 2025
    assert FyQuarter(2024, quarter).months == (
        f"{month_names[first - 1]} to {month_names[last - 1]} {year}"
    )


def test_social_value_quarters_sort_by_year_then_quarter() -> None:
    shuffled = [FyQuarter(2024, 2), FyQuarter(2023, 4), FyQuarter(2024, 1)]
    assert sorted(shuffled) == [FyQuarter(2023, 4), FyQuarter(2024, 1), FyQuarter(2024, 2)]
    returns = {FyQuarter(2024, 1): 2}
    returns[FyQuarter.containing(dt.date(2024, 5, 1))] += 1  # the same quarter as a key
    assert returns == {FyQuarter(2024, 1): 3}
    with pytest.raises(dataclasses.FrozenInstanceError):
        FyQuarter(2024, 1).quarter = 2  # type: ignore[misc]


# --- Rounding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (1, 8, 13),  # 12.5% up (half to even would give 12)
        (5, 8, 63),  # 62.5%
        (1, 200, 1),  # 0.5%
        (1, 201, 0),  # just under 0.5%
        (-1, 8, -13),  # a negative half goes away from zero
        (0, 8, 0),
        (8, 8, 100),
    ],
)
def test_percentages_round_half_up(part: int, whole: int, shown: int) -> None:
    assert formatting.percent(part, whole) == shown
    assert formatting.percent_text(shown) == f"{shown}%"


def test_a_percentage_of_nothing_is_a_dash() -> None:
    assert formatting.percent(5, 0) is None
    assert formatting.percent_text(None) == "-"


@pytest.mark.parametrize(
    ("pence", "shown"),
    [
        (50, "£1"),
        (49, "£0"),
        (250, "£3"),  # half to even would give £2
        (-50, "-£1"),
        (-49, "£0"),  # no "-£0"
        (123_456_789_49, "£123,456,789"),
        (123_456_789_50, "£123,456,790"),
        (0, "£0"),
    ],
)
def test_whole_pounds_round_half_up(pence: int, shown: str) -> None:
    assert formatting.pounds(pence) == shown


def test_pounds_and_pence() -> None:
    assert formatting.pounds(None) == "-"
    assert formatting.pounds_pence(None) == "-"
    assert formatting.pounds_pence(123_456) == "£1,234.56"
    assert formatting.pounds_pence(-5) == "-£0.05"
    assert formatting.pounds_pence(0) == "£0.00"
    assert money.pounds_decimal(-123_456) == Decimal("-1234.56")
    assert money.pounds_decimal(5) == Decimal("0.05")
    assert money.whole_pounds(-150) == -2


# --- Exports cannot carry a formula ----------------------------------------------------------

FORMULAS = ["=1+1", "+44 1772", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_formula_prefix_is_neutralised(text: str) -> None:
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["-", "Acme Ltd", "", "a=b", 12, Decimal("-5.00"), None])
def test_other_cells_are_left_as_they_are(value: object) -> None:
    assert exports.neutralise(value) == value


def test_csv_rows_neutralise_header_and_cells() -> None:
    text = "".join(exports.csv_rows(["=H", "Name"], [["-1", Decimal("-1.50")], ["@x", "-"]]))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["'=H", "Name"], ["'-1", "-1.50"], ["'@x", "-"]]


@pytest.mark.django_db
def test_spend_exports_neutralise_supplier_names(
    tmp_path: Path, client: Client, officer: object
) -> None:
    names = {"S1": "-2+3 Ltd", "S2": "@SUM(A1) Ltd", "S3": "+44 Trading", "S4": "=HYPERLINK(1)"}
    day = dt.date(2023, 6, 5)
    import_lines(
        tmp_path,
        [Line(n, s, f"{600 + n}.00", day, name=name) for n, (s, name) in enumerate(names.items())],
    )
    client.force_login(officer)  # type: ignore[arg-type]
    response = client.get("/spend/suppliers/?fy=2023&_export=csv")
    rows = list(csv.reader(io.StringIO(downloaded(response).decode("utf-8-sig"))))
    shown = {cell for row in rows[1:] for cell in row}
    for name in names.values():
        assert "'" + name in shown
        assert name not in shown
    response = client.get("/spend/suppliers/?fy=2023&_export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = {c.value for row in sheet.iter_rows(min_row=2) for c in row}
    assert {"'" + name for name in names.values()} <= cells
    # The public spend-over-£500 file too (streamed through csv_rows).
    client.logout()
    response = client.get("/spend/transparency/2023/6.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    published = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    assert {"'" + name for name in names.values()} <= published


# --- Where a supplier is ----------------------------------------------------------------------


def test_locality_labels_as_the_pages_and_report_print_them() -> None:
    from portal.locality import LocalityClass

    assert [c.label for c in LocalityClass] == [
        "Home area",
        "Rest of region",
        "Rest of UK",
        "Unknown",
    ]


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("pr7  1dp", "PR7 1DP"),
        ("SW1A2AA", "SW1A 2AA"),
        ("m11ae", "M1 1AE"),
        ("pr7", "PR7"),
        ("PR12X 2AB", ""),  # an outward code that is not one, with a good inward code
        ("not known", ""),
        (None, ""),
        ("", ""),
    ],
)
def test_postcodes_are_normalised_or_refused(text: str | None, normalised: str) -> None:
    from portal.locality import normalise_postcode

    assert normalise_postcode(text) == normalised


def test_the_district_lookup_is_read_once_and_cannot_be_changed() -> None:
    from portal import locality

    assert locality._lookup() is locality._lookup()
    area = locality.district_area("pr1")
    assert area is not None
    assert area.local_authority == "Preston"
    with pytest.raises(dataclasses.FrozenInstanceError):
        area.region = "Elsewhere"  # type: ignore[misc]


def test_table_exports_name_the_file_and_the_sheet() -> None:
    import django_tables2 as tables
    from django.test import RequestFactory

    class Figures(tables.Table):
        name = tables.Column()
        pence = tables.Column()

    table = Figures([{"name": "-£1 credit", "pence": 5}])
    name = "a-name-longer-than-a-sheet-title-allows"
    request = RequestFactory().get("/", {"_export": "xlsx"})
    response = exports.table_export_response(request, table, name)
    assert response is not None
    assert response["Content-Disposition"] == f'attachment; filename="{name}.xlsx"'
    assert isinstance(response, HttpResponse)  # a spreadsheet is built whole
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [name[:31]]  # a sheet title holds 31 characters
    sheet = book.active
    assert sheet is not None
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Name", "Pence"],
        ["'-£1 credit", 5],
    ]
    plain = RequestFactory().get("/")
    assert exports.table_export_response(plain, table, name) is None  # no download asked for
    for not_offered in ("json", "yaml", "latex", ""):
        asked = RequestFactory().get("/", {"_export": not_offered})
        refused = exports.table_export_response(asked, table, name)
        assert refused is not None
        assert refused.status_code == 400


def test_a_streamed_csv_is_a_named_attachment() -> None:
    response = exports.csv_response("spend-2023-06.csv", ["Beneficiary"], [["@x"]])
    assert response["Content-Disposition"] == 'attachment; filename="spend-2023-06.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = "".join(exports.csv_rows(["Beneficiary"], [["@x"]])).lstrip("\ufeff")
    assert text == "Beneficiary\r\n'@x\r\n"
    assert response.streaming


@pytest.mark.django_db
def test_class_based_table_exports_are_safe_and_offer_csv_and_xlsx(
    tmp_path: Path, client: Client, officer: object
) -> None:
    from contracts.services import register_import
    from tests.contracts.conftest import register_row, write_csv

    rows = [register_row("X-1", "Acme Ltd", Title="=HYPERLINK(1)")]
    register_import(path=write_csv(tmp_path / "register.csv", rows))
    client.force_login(officer)  # type: ignore[arg-type]
    response = client.get("/contracts/", {"_export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    cells = {
        cell
        for row in csv.reader(io.StringIO(downloaded(response).decode("utf-8-sig")))
        for cell in row
    }
    assert "'=HYPERLINK(1)" in cells
    response = client.get("/contracts/", {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert "'=HYPERLINK(1)" in {c.value for row in sheet.iter_rows() for c in row}


def test_a_spreadsheet_of_more_rows_than_the_limit_is_refused_with_a_way_back() -> None:
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    def request(**query: str) -> object:
        made = RequestFactory().get("/spend/payments/", query)
        made.session = {}  # type: ignore[assignment]
        made._messages = FallbackStorage(made)  # type: ignore[attr-defined]
        return made

    limit = exports.XLSX_MAX_ROWS
    assert limit == 100_000  # the figure the message and docs give officers
    at_limit = request(_export="xlsx", supplier="7")
    assert exports.xlsx_too_big(at_limit, limit) is None  # type: ignore[arg-type]
    over = request(_export="xlsx", supplier="7")
    refused = exports.xlsx_too_big(over, limit + 1)  # type: ignore[arg-type]
    assert refused is not None
    assert refused.status_code == 302
    assert refused["Location"] == "/spend/payments/?supplier=7"  # the same filters, no export
    [message] = [str(m) for m in get_messages(over)]  # type: ignore[arg-type]
    assert message == (
        "This table has 100,001 rows, more than the 100,000 a spreadsheet download can hold "
        "here. Download it as CSV (which opens in Excel), or narrow the filters and download "
        "the spreadsheet again."
    )
    bare = request(_export="xlsx")
    assert exports.xlsx_too_big(bare, limit + 1)["Location"] == "/spend/payments/"  # type: ignore[arg-type,index]


@pytest.mark.parametrize("fy", [2023, 2024])
def test_a_financial_year_runs_from_1_april_to_31_march(fy: int) -> None:
    start, end = periods.fy_start(fy), periods.fy_end(fy)
    assert (start, end) == (dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31))
    assert periods.financial_year_of(start) == periods.financial_year_of(end) == fy
    assert periods.financial_year_of(start - dt.timedelta(days=1)) == fy - 1
    assert periods.financial_year_of(end + dt.timedelta(days=1)) == fy + 1
    months = periods.fy_months(fy)
    assert (months[0], months[-1], len(months)) == (start, end.replace(day=1), 12)


def test_only_the_spreadsheet_of_a_too_big_table_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import django_tables2 as tables
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    class Figures(tables.Table):
        name = tables.Column()

    table = Figures([{"name": "A"}, {"name": "B"}])
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 1)  # two rows are one too many
    responses = {}
    for wanted in ("xlsx", "csv"):
        request = RequestFactory().get("/spend/", {"_export": wanted})
        request.session = {}  # type: ignore[assignment]
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        responses[wanted] = exports.table_export_response(request, table, "figures")
    assert responses["xlsx"] is not None
    assert responses["xlsx"].status_code == 302
    assert responses["csv"] is not None
    assert responses["csv"].status_code == 200
    assert downloaded(responses["csv"]).decode("utf-8-sig").split() == ["Name", "A", "B"]
