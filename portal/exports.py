"""Spreadsheet and CSV exports that cannot carry a formula, for every app.

A text cell starting with ``=`` ``+`` ``-`` ``@`` or a tab or carriage return gets a leading
apostrophe, so a spreadsheet shows it as text instead of running it (CSV/formula injection).
Numbers stay numbers: money goes out as pounds with two decimals (``Decimal``), so an XLSX
cell is numeric and a CSV cell reads ``1234.56``. A lone ``-`` (the "no figure" mark) is left.

- ``SafeTableExport`` / ``SafeExportMixin``: django-tables2's ``_export=csv|xlsx``.
- ``table_export_response(request, table, name)``: the same for a function-based view.
- ``csv_response(name, header, rows)``: a streamed UTF-8 CSV (with BOM, for Excel).
- ``xlsx_response(name, header, rows)``: the same rows as a workbook, written row by row.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django_tables2.export import ExportMixin, TableExport

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = (TableExport.CSV, TableExport.XLSX)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe; else unchanged.

    A lone "-" (the placeholder for "no figure") is left alone: it cannot be a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and value != "-":
        return "'" + value
    return value


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


def table_export_response(request: HttpRequest, table: Any, name: str) -> HttpResponse | None:
    """The export response when ``_export=csv|xlsx`` asks for one, else None."""
    wanted = export_format(request)
    if wanted is None:
        return None
    if wanted == TableExport.XLSX:
        refused = xlsx_too_big(request, len(table.data))
        if refused is not None:
            return refused
    exporter = SafeTableExport(
        export_format=wanted, table=table, dataset_kwargs={"title": name[:31]}
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


def csv_response(
    file_name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download (memory stays flat however many rows)."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    file_name: str, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1"
) -> FileResponse:
    """A workbook of one sheet, cells neutralised. openpyxl's write-only mode keeps memory
    flat; the file goes to a temporary file on disk and is sent from there."""
    from openpyxl import Workbook

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
