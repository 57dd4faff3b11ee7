"""The SQL twin of the safe-export rule: PostgreSQL's COPY writes the large CSVs, so its cells
must be what ``portal.exports.neutralise`` and ``csv_rows`` make of the same values, over every
leading character a spreadsheet could run and ordinary text alike, and the payments download
must be byte for byte the file the Python path writes, awkward values and voided rows included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import connection
from django.db.models import Expression, Value
from django.db.models.sql import Query
from django.http import QueryDict, StreamingHttpResponse
from django.test import Client

from portal import exports
from portal.models import User
from portal.money import pounds_decimal, pounds_sql
from spend import selectors
from spend.filters import PaymentFilter
from spend.models import Category, Payment, Supplier
from tests.ledger import Line, import_lines

pytestmark = pytest.mark.django_db


def _select(expression: Expression) -> Any:
    """One expression evaluated by PostgreSQL, with no table behind it."""
    query = Query(None)
    compiler = query.get_compiler(connection=connection)
    sql, params = expression.resolve_expression(query).as_sql(compiler, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return cursor.fetchone()[0]


# Every ASCII character and a few others at the start of a cell, alone and before text: the
# prefixes the rule handles, and everything it must leave alone (a fullwidth "=" among them).
LEADING = [chr(code) for code in range(1, 128)] + ["£", "é", "\u2028", "\u00a0", "\uff1d", "😀"]
VALUES = (
    list(LEADING)
    + [lead + "SUM(A1:A9)" for lead in LEADING]
    + [lead + "\n2" for lead in LEADING]
    + ["", "-", "--", "-\n", "- ", "'=x", " =1+1", "a=b", "Acme, Ltd", 'He said "hi"', "1-2"]
)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_sql_neutralises_exactly_what_the_python_does(value: str) -> None:
    assert _select(exports.neutralised_sql(Value(value))) == exports.neutralise(value)


def test_every_prefix_the_python_handles_is_among_those_checked() -> None:
    checked = {value[:1] for value in VALUES}
    assert set(exports.FORMULA_PREFIXES) <= checked
    assert {"=", "+", "-", "@", "\t", "\r"} <= set(exports.FORMULA_PREFIXES)


def test_an_empty_cell_is_null_so_copy_writes_nothing_as_python_does() -> None:
    assert _select(exports.csv_cell_sql(Value(""))) is None
    assert _select(exports.csv_cell_sql(Value("=1"))) == "'=1"


@pytest.mark.parametrize(
    "pence", [0, 1, -1, 5, -5, 10, 99, 100, -100, 7525, -7525, 120050, 10**12 + 7, -(2**62)]
)
def test_pounds_in_sql_are_pounds_decimal(pence: int) -> None:
    pounds = _select(pounds_sql(Value(pence)))
    assert isinstance(pounds, Decimal)
    assert str(pounds) == str(pounds_decimal(pence))


def test_a_date_in_sql_is_its_iso_form() -> None:
    for day in (dt.date(2023, 4, 1), dt.date(1999, 12, 31), dt.date(2024, 2, 29)):
        assert _select(exports.csv_date_sql(Value(day))) == day.isoformat()


# Text a council's ledger really holds, and what a spreadsheet would run.
AWKWARD = [
    "Smith, Jones & Co",
    'The "Best" Ltd',
    "Line one\nline two",
    "Carriage\r\nreturn",
    "Café Ñandú — 東京 😀",
    '=HYPERLINK("http://x")',
    "+44 1772 000000",
    "-5 adjustment",
    "@SUM(A1)",
    "\tTabbed",
    "\rReturned",
    "-",
    "",
    " leading space",
    "trailing comma,",
    '"',
]


@pytest.fixture
def awkward_ledger(tmp_path: Path) -> None:
    """Payments on distinct days (so both paths' newest-first order is the same), one voided,
    amounts negative and positive, then every text column given an awkward value."""
    lines = [
        Line(n, str(100 + n % 4), pounds, dt.date(2023, 4, 1) + dt.timedelta(days=n), status=s)
        for n, pounds, s in [
            (1, "1200.50", "NEGOTIABLE"),
            (2, "-75.25", "NEGOTIABLE"),
            (3, "999.99", "VOIDED"),
            (4, "0.05", "NEGOTIABLE"),
            (5, "-0.01", "NEGOTIABLE"),
            (6, "31000.00", "NEGOTIABLE"),
            (7, "12.30", "NEGOTIABLE"),
            (8, "8.00", "NEGOTIABLE"),
        ]
    ]
    lines += [Line(9, "109", "44.00", dt.date(2023, 5, 1), postcode="")]  # locality unknown
    import_lines(tmp_path, lines)
    for i, payment in enumerate(Payment.objects.order_by("pk")):
        pick = [AWKWARD[(i + k) % len(AWKWARD)] for k in range(5)]
        payment.invoice_number, payment.payment_reference = pick[0], pick[1]
        payment.cost_centre, payment.account_description = pick[2], pick[3]
        if i % 3 == 0:
            payment.category = None  # "Not categorised"
        else:
            payment.category, _ = Category.objects.get_or_create(name=pick[4] or "Waste")
        payment.save()
    for i, supplier in enumerate(Supplier.objects.order_by("pk")):
        supplier.name = AWKWARD[(i * 5) % len(AWKWARD)] or "Plain Ltd"
        if i == 2:
            supplier.name = "Mrs Jane, Example"  # a person: redacted in the spend files
        supplier.save()


def _python_file(query: str) -> bytes:
    """The file as the Python path writes it (``csv_rows`` over ``payments_export_rows``)
    for the page's own filters, newest first as the page sorts."""
    rows = PaymentFilter(QueryDict(query)).qs.order_by("-payment_date")
    lines = exports.csv_rows(selectors.PAYMENTS_EXPORT_HEADER, selectors.payments_export_rows(rows))
    return "".join(lines).encode("utf-8")


def _downloaded(response: Any) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(cast(Iterable[bytes], response.streaming_content))


def test_the_payments_csv_is_byte_for_byte_the_python_file(
    awkward_ledger: None, councillor: User, client: Client
) -> None:
    client.force_login(councillor)
    body = _downloaded(client.get("/spend/payments/", {"_export": "csv"}))
    expected = _python_file("")
    assert body == expected
    # Not a file with nothing in it: every payment but the voided one, each awkward value.
    assert expected.count(b"\r\n") > Payment.objects.filter(is_spend=True).count()
    assert b"999.99" not in body
    assert "Café Ñandú".encode() in body
    assert b"'=HYPERLINK" in body
    assert b"-75.25" in body
    assert b"'-5 adjustment" in body

    fy = _downloaded(client.get("/spend/payments/", {"_export": "csv", "fy": "2023"}))
    assert fy == _python_file("fy=2023")


def test_a_chunk_boundary_does_not_split_a_row(
    awkward_ledger: None, councillor: User, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CSV_CHUNK_CHARS", 1)  # every row its own chunk
    client.force_login(councillor)
    response = client.get("/spend/payments/", {"_export": "csv"})
    chunks = list(cast(Iterable[bytes], cast(Any, response).streaming_content))
    assert len(chunks) > 3
    assert b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks) == _python_file("")


def test_a_filter_that_matches_nothing_gives_the_header_alone(
    awkward_ledger: None, councillor: User, client: Client
) -> None:
    client.force_login(councillor)
    for query in ({"fy": "1900"}, {"fy": "2031"}, {"supplier": "999999"}):
        body = _downloaded(client.get("/spend/payments/", {"_export": "csv", **query}))
        assert body == _python_file("&".join(f"{k}={v}" for k, v in query.items())), query
        assert body.decode("utf-8").count("\r\n") == 1, query  # the header line only


def _python_transparency(months: list[dt.date], threshold_pence: int) -> bytes:
    """The spend-over file as the Python path writes it (``csv_rows`` over
    ``transparency_rows``), its months one after another."""
    rows = (row for m in months for row in selectors.transparency_rows(m, threshold_pence))
    return "".join(exports.csv_rows(selectors.TRANSPARENCY_HEADER, rows)).encode("utf-8")


def test_the_spend_files_are_byte_for_byte_the_python_files(
    awkward_ledger: None, client: Client
) -> None:
    april, may = dt.date(2023, 4, 1), dt.date(2023, 5, 1)
    for threshold in (0, 500):
        query = {"threshold": str(threshold)}
        month = _downloaded(client.get("/spend/transparency/2023/4.csv", query))
        assert month == _python_transparency([april], threshold * 100), threshold
        year = _downloaded(client.get("/spend/transparency/year/2023.csv", query))
        assert year == _python_transparency([april, may], threshold * 100), threshold
    everything = _downloaded(client.get("/spend/transparency/year/2023.csv", {"threshold": 0}))
    assert b"Redacted personal data" in everything
    assert b"Jane" not in everything
    assert b"'=HYPERLINK" in everything
    assert everything.count(b"\r\n") > 8  # every payment but the voided one, and the header
