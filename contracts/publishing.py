"""The files of a publication, rendered from its frozen snapshot (never the live register).

- CSV and XLSX: the register layout, one row per contract and supplier, formula-like cells
  neutralised.
- OCDS: a 1.1 release package (``contracts.ocds``).
- PDF: WeasyPrint, landscape A4, a title page, one row per contract with its suppliers,
  headers repeated on each page, page numbers, tagged (PDF/UA-1); made in a child process
  (``portal.pdf``) while the other files are written.
"""

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from contracts import layout
from contracts.models import Contract, Publication, PublishedContract
from contracts.ocds import release_package
from portal.pdf import PdfInChild


def _contracts(publication: Publication) -> Iterator[PublishedContract]:
    return (
        publication.contracts.prefetch_related("suppliers")
        .order_by("reference")
        .iterator(chunk_size=2000)
    )


def layout_rows(publication: Publication) -> Iterator[list[Any]]:
    for contract in _contracts(publication):
        for supplier in contract.suppliers.all():
            yield layout.layout_row(contract, supplier)


def write_csv(rows: Iterator[list[Any]]) -> bytes:
    """The register layout as CSV (also used by the officers' export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(layout.COLUMNS)
    for row in rows:
        writer.writerow([layout.csv_cell(value) for value in row])
    # A byte-order mark so Excel opens the UTF-8 file with £ and accents intact.
    return buffer.getvalue().encode("utf-8-sig")


def render_csv(publication: Publication) -> bytes:
    return write_csv(layout_rows(publication))


def write_xlsx(rows: Iterator[list[Any]], title: str) -> bytes:
    """The register layout as a workbook (also used by the officers' export)."""
    from openpyxl import Workbook  # noqa: PLC0415  (only the XLSX file needs openpyxl)
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415  (only the XLSX file needs openpyxl)
    from openpyxl.styles import Font  # noqa: PLC0415  (only the XLSX file needs openpyxl)

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Register")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in layout.COLUMNS:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    money_columns = {
        layout.COLUMNS.index("Awarded value"),
        layout.COLUMNS.index("VAT not recoverable"),
    }
    for row in rows:
        cells: list[Any] = []
        for position, value in enumerate(row):
            value = layout.neutralise(value)
            # Plain values where openpyxl's own format will do (text, numbers, dates get
            # yyyy-mm-dd): a styled cell for every value took twice as long for 12,000 rows.
            if isinstance(value, dt.datetime) or (position in money_columns and value is not None):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0.00" if position in money_columns else "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    book.properties.title = title
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_xlsx(publication: Publication) -> bytes:
    return write_xlsx(
        layout_rows(publication), f"{settings.COUNCIL_NAME} contract register, {publication.label}"
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def live_register_file(kind: str) -> tuple[bytes, str]:
    """The live register's registered contracts (not drafts) in the layout, as CSV or XLSX."""
    contracts = (
        Contract.objects.filter(status=Contract.Status.REGISTERED)
        .prefetch_related("suppliers")
        .order_by("reference")
    )
    rows = (
        layout.layout_row(contract, supplier)
        for contract in contracts.iterator(chunk_size=2000)
        for supplier in contract.suppliers.all()
    )
    if kind == "xlsx":
        return write_xlsx(rows, f"{settings.COUNCIL_NAME} contract register"), XLSX_TYPE
    return write_csv(rows), "text/csv; charset=utf-8"


def render_ocds(publication: Publication) -> bytes:
    return json.dumps(release_package(publication), ensure_ascii=False, indent=1).encode()


PDF_SUPPLIERS_SHOWN = 12


def _pdf_rows(publication: Publication) -> Iterator[dict[str, Any]]:
    """One row per contract; a long list of suppliers is cut short (the spreadsheet has all)."""
    for contract in publication.contracts.order_by("reference").iterator(chunk_size=2000):
        names = contract.supplier_names.split("; ") if contract.supplier_names else []
        shown = names[:PDF_SUPPLIERS_SHOWN]
        more = len(names) - len(shown)
        yield {"contract": contract, "suppliers": shown, "more": more}


def start_pdf(publication: Publication) -> PdfInChild:
    """Start the PDF in a child process (it takes most of a publication's time): the caller
    writes the other files meanwhile and then collects it with ``.result()``."""
    html = render_to_string(
        "register/publication_pdf.html",
        {
            "publication": publication,
            "contracts": _pdf_rows(publication),
            "council_name": settings.COUNCIL_NAME,
            "shown": PDF_SUPPLIERS_SHOWN,
            "generated": timezone.localtime(),
        },
    )
    return PdfInChild(html, str(settings.BASE_DIR))
