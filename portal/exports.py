"""Spreadsheet and CSV exports that cannot carry a formula, for every app.

A text cell starting with ``=`` ``+`` ``-`` ``@`` or a tab or carriage return gets a leading
apostrophe, so a spreadsheet shows it as text instead of running it (CSV/formula injection).
Numbers stay numbers: money goes out as pounds with two decimals (``Decimal``), so an XLSX
cell is numeric and a CSV cell reads ``1234.56``. A lone ``-`` (the "no figure" mark) is left.

- ``csv_response(name, header, rows)``: a streamed UTF-8 CSV (with BOM, for Excel). Every CSV
  download goes through it (or its SQL twin ``csv_copy_response``): the header is sent before
  the first row is read, and rows are written as they come (a selector gives them from a
  server-side cursor), so memory stays flat.
- ``SafeExportMixin``: django-tables2's ``_export=csv|xlsx`` for a class-based view; CSV through
  ``csv_response``, XLSX whole (``SafeTableExport``) up to ``XLSX_MAX_ROWS``.
- ``table_export_response(request, table, name)``: the same for a function-based view.
- Any other ``_export`` (json, yaml, latex...) is refused with 400: only what a page offers.
- ``csv_copy_response(name, header, query)``: the same CSV written by PostgreSQL's ``COPY``
  from a values query whose cells are already text (``csv_cell_sql``, ``csv_date_sql``,
  ``portal.money.pounds_sql``): for the large downloads, where per-row Python was the cost.
  ``neutralised_sql`` is ``neutralise`` in SQL; tests pin the two to each other byte for byte.
- ``xlsx_response(name, header, rows)``: the same rows as a workbook, written row by row.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Expression, F, Func, QuerySet, TextField, Value
from django.db.models.functions import NullIf
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django_tables2.export import ExportMixin, TableExport

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NO_FIGURE = "-"
EXPORT_FORMATS = (TableExport.CSV, TableExport.XLSX)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe; else unchanged.

    A lone "-" (the placeholder for "no figure") is left alone: it cannot be a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and value != NO_FIGURE:
        return "'" + value
    return value


def _are_literal(text: str) -> str:
    # In a PostgreSQL regular expression a backslash before any non-alphanumeric character
    # stands for that character (tab and carriage return included).
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in text)


# ``neutralise`` as a regular expression: a prefix at the start, except the lone "no figure"
# mark (a "-" must be followed by something; "." matches a newline too in PostgreSQL).
NEUTRALISE_PATTERN = "^(?:{})".format(
    "|".join(
        _are_literal(prefix) + ("(?=.)" if prefix == NO_FIGURE else "")
        for prefix in FORMULA_PREFIXES
    )
)


def neutralised_sql(text: Expression | F) -> Func:
    """``neutralise`` in SQL, for text PostgreSQL writes out itself (``csv_copy_response``)."""
    return Func(
        text,
        Value(NEUTRALISE_PATTERN),
        Value("'\\&"),  # an apostrophe, then the whole match
        function="regexp_replace",
        output_field=TextField(),
    )


def csv_cell_sql(text: Expression | F) -> NullIf:
    """A text cell as ``csv_rows`` writes it: neutralised, and empty as NULL, because COPY
    quotes an empty string ("") to tell it from NULL and Python's csv writes both as nothing."""
    return NullIf(neutralised_sql(text), Value(""), output_field=TextField())


def csv_date_sql(day: Expression | F) -> Func:
    """A date as ``date.isoformat()`` writes it, whatever the server's DateStyle."""
    return Func(day, Value("YYYY-MM-DD"), function="to_char", output_field=TextField())


class SafeTableExport(TableExport):
    def table_to_dataset(self, table: Any, exclude_columns: Any, dataset_kwargs: Any = None) -> Any:
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        headers = [neutralise(h) for h in dataset.headers or []]
        rows = [[neutralise(value) for value in row] for row in dataset]
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)
        return dataset


class SafeExportMixin(ExportMixin):
    export_class = SafeTableExport
    export_formats = EXPORT_FORMATS

    # Any: a StreamingHttpResponse is not the HttpResponse TemplateResponseMixin promises.
    def render_to_response(self, context: Any, **kwargs: Any) -> Any:
        if self.export_trigger_param not in self.request.GET:
            return super().render_to_response(context, **kwargs)
        table = self.get_table(**self.get_table_kwargs())
        name = self.get_export_filename("csv").removesuffix(".csv")
        exported = table_export_response(
            self.request, table, name, exclude_columns=self.exclude_columns
        )
        assert exported is not None  # the trigger is in the query
        return exported


def export_refused(request: HttpRequest) -> HttpResponse | None:
    """400 for an ``_export`` the portal does not offer (json, yaml...); None otherwise."""
    wanted = request.GET.get("_export")
    if wanted is None or wanted in EXPORT_FORMATS:
        return None
    return HttpResponseBadRequest(
        "This page can be downloaded as CSV or XLSX only. Use the download links on the page.",
        content_type="text/plain; charset=utf-8",
    )


def export_format(request: HttpRequest) -> str | None:
    """The requested ``_export`` format, if it is one the portal offers."""
    wanted = request.GET.get("_export")
    return wanted if wanted in EXPORT_FORMATS else None


# A spreadsheet is built whole in the web process; beyond this many rows it is refused (the
# CSV, which streams, has no limit).
XLSX_MAX_ROWS = 100_000


def xlsx_too_big(request: HttpRequest, rows: int) -> HttpResponse | None:
    """A way back to the page with a message when a spreadsheet of ``rows`` rows is too big
    to build in a request; None when it is not."""
    if rows <= XLSX_MAX_ROWS:
        return None
    messages.error(
        request,
        f"This table has {rows:,} rows, more than the {XLSX_MAX_ROWS:,} a spreadsheet "
        "download can hold here. Download it as CSV (which opens in Excel), or narrow the "
        "filters and download the spreadsheet again.",
    )
    query = request.GET.copy()
    query.pop("_export", None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def table_export_response(
    request: HttpRequest, table: Any, name: str, exclude_columns: Sequence[str] = ()
) -> HttpResponseBase | None:
    """The export response when ``_export`` asks for one (400 for a format not offered), else
    None. CSV streams the table's rows as they are read; XLSX is built whole."""
    refused = export_refused(request)
    if refused is not None:
        return refused
    wanted = export_format(request)
    if wanted is None:
        return None
    if wanted == TableExport.CSV:
        values = table.as_values(exclude_columns=exclude_columns)
        header = next(values)  # the column names: the rows' query has not run yet
        return csv_response(f"{name}.csv", header, values)
    too_big = xlsx_too_big(request, len(table.data))
    if too_big is not None:
        return too_big
    exporter = SafeTableExport(
        export_format=wanted,
        table=table,
        exclude_columns=exclude_columns,
        dataset_kwargs={"title": name[:31]},
    )
    return exporter.response(filename=f"{name}.{wanted}")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text line by line: a BOM, the header, then each row with its cells neutralised."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff"
    yield writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


# Rows leave in chunks of about this many characters: a chunk per row costs the web server a
# write (a system call) per row.
CSV_CHUNK_CHARS = 64 * 1024


def _in_chunks(lines: Iterator[str], size: int = CSV_CHUNK_CHARS) -> Iterator[str]:
    """The BOM and the header at once (the first byte leaves before any row is read), then
    whole rows gathered into chunks of about ``size`` characters."""
    for _ in range(2):
        yield next(lines)
    buffer: list[str] = []
    length = 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)


def csv_response(
    file_name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download (memory stays flat however many rows)."""
    response = StreamingHttpResponse(
        _in_chunks(csv_rows(header, rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def _copied_lines(query: QuerySet[Any]) -> Iterator[bytes]:
    """The rows of a values query as CSV lines, in chunks, written by PostgreSQL's COPY.

    COPY ends a row with "\n"; each row arrives whole (one message per row), so its ending
    is swapped for "\r\n" as ``csv_rows`` writes it, leaving newlines inside quoted cells
    alone. A download the client abandons closes this generator inside the copy block, and
    psycopg then cancels the COPY, so no statement is left running."""
    try:
        sql, params = query.query.get_compiler(using=query.db).as_sql()
    except EmptyResultSet:  # a filter that can match nothing (.none(), an empty IN list)
        return
    statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
    # psycopg's own cursor: Django's debug wrapper takes no parameters for a COPY.
    with connections[query.db].cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        buffer: list[Any] = []
        length = 0
        for row in copy:
            buffer.append(row[:-1])
            length += len(row)
            if length >= CSV_CHUNK_CHARS:
                buffer.append(b"")
                yield b"\r\n".join(buffer)
                buffer, length = [], 0
        if buffer:
            buffer.append(b"")
            yield b"\r\n".join(buffer)


def _header_then(header: Sequence[str], lines: Iterator[bytes]) -> Iterator[str | bytes]:
    # The BOM and the header leave before the query is sent, as with csv_response.
    yield from csv_rows(header, ())
    yield from lines


def csv_copy_response(
    file_name: str, header: Sequence[str], query: QuerySet[Any] | Iterable[QuerySet[Any]]
) -> StreamingHttpResponse:
    """``csv_response`` for a values query whose every column is already a CSV cell's text
    (``csv_cell_sql``, ``csv_date_sql``, ``portal.money.pounds_sql``), written by PostgreSQL;
    or for several, one after another (a year's file is its months')."""
    queries = [query] if isinstance(query, QuerySet) else query
    lines = (line for each in queries for line in _copied_lines(each))
    response = StreamingHttpResponse(
        _header_then(header, lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    file_name: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1"
) -> FileResponse:
    """A workbook of one sheet, cells neutralised. openpyxl's write-only mode keeps memory
    flat; the file goes to a temporary file on disk and is sent from there."""
    from openpyxl import Workbook  # noqa: PLC0415  (loaded only when a workbook is asked for)

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    worksheet.freeze_panes = "A2"
    worksheet.append([neutralise(cell) for cell in header])
    for row in rows:
        worksheet.append([neutralise(cell) for cell in row])
    # Closed (and so removed) by the response once sent, not by a with block here.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE
    )
