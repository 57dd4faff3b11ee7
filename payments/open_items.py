"""Reading an open (unpaid) invoices extract: an Oracle aged-creditors or open-items report.

Headers are matched like the paid extracts' (``spend.ingest.layouts``): case, spaces and
punctuation do not matter, and R12 and Fusion names are both known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from spend.ingest import normalise
from spend.ingest.errors import ImportRejected
from spend.ingest.layouts import Layout, match_layout
from spend.ingest.readers import NoHeader, OpenedFile, open_rows

OPEN_ITEMS = Layout(
    name="open_items",
    title="Oracle open (unpaid) invoices",
    synonyms={
        "supplier_number": ("VENDOR_NUM", "Supplier Number", "Supplier Num", "Supplier ID"),
        "supplier_name": ("VENDOR_NAME", "Supplier Name", "Supplier or Party", "Supplier"),
        "invoice_number": ("INVOICE_NUM", "Invoice Number", "Invoice Num", "Invoice"),
        "invoice_date": ("INVOICE_DATE", "Invoice Date"),
        "received_date": ("INVOICE_RECEIVED_DATE", "Invoice Received Date", "Received Date"),
        "due_date": ("DUE_DATE", "Due Date", "Payment Due Date"),
        "amount": (
            "AMOUNT_REMAINING",
            "Amount Remaining",
            "Amount Outstanding",
            "Outstanding Amount",
            "Amount Due Remaining",
            "Remaining Amount",
            "Open Amount",
        ),
        "disputed": ("DISPUTED", "Disputed", "Disputed Flag", "In Dispute", "DISPUTE_FLAG"),
        "account": ("ACCOUNT", "Account", "Account Code"),
    },
    required=("supplier_number", "invoice_number", "amount"),
    natural_key=("supplier_number", "invoice_number"),
)

YES = {"y", "yes", "true", "1", "disputed", "d"}
NO = {"", "n", "no", "false", "0"}


@dataclass(frozen=True)
class OpenRow:
    line: int
    supplier_number: str
    supplier_name: str
    invoice_number: str
    invoice_date: dt.date | None
    received_date: dt.date | None
    due_date: dt.date | None
    amount_pence: int
    disputed: bool
    account: str


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_open_items(source: IO[bytes], file_name: str) -> Iterator[OpenRow]:
    """Every open invoice in the file; ImportRejected (file, line, column) for a bad one."""
    opened = OpenedFile(source)

    def is_header(row: Any) -> bool:
        return match_layout(OPEN_ITEMS, row).complete

    try:
        try:
            found, rows = open_rows(opened, is_header)
        except NoHeader:
            wanted = ", ".join(OPEN_ITEMS.synonyms[f][1] for f in OPEN_ITEMS.required)
            raise ImportRejected(
                "No header row was found, so this is not an open invoices extract. It needs "
                f"at least the columns {wanted} (or their Oracle names). Export the open "
                "invoices report with those columns and upload it again.",
                file_name=file_name,
            ) from None
        columns = match_layout(OPEN_ITEMS, found.header_cells).columns
        headers = [_text(c) for c in found.header_cells]

        def cell(cells: list[Any], name: str) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        def date(cells: list[Any], name: str, line: int) -> dt.date | None:
            value = cell(cells, name)
            if value is None or _text(value) == "":
                return None
            try:
                return normalise.parse_date(value)
            except ValueError:
                raise ImportRejected(
                    f"{_text(value)!r} is not a date. Dates are read day first (DD/MM/YYYY). "
                    "Correct the cell and upload the file again.",
                    file_name=file_name,
                    line_number=line,
                    column=headers[columns[name]],
                ) from None

        for line, cells in rows:
            if not any(_text(c) for c in cells):
                continue
            number = _text(cell(cells, "supplier_number"))
            invoice = _text(cell(cells, "invoice_number"))
            raw_amount = cell(cells, "amount")
            if not number and not invoice and _text(raw_amount) == "":
                continue
            for name, value in (("supplier_number", number), ("invoice_number", invoice)):
                if not value:
                    raise ImportRejected(
                        f"The {name.replace('_', ' ')} is blank. Fill it in (or delete the row "
                        "if it is not an invoice) and upload the file again.",
                        file_name=file_name,
                        line_number=line,
                        column=headers[columns[name]],
                    )
            try:
                amount = normalise.parse_amount_pence(raw_amount)
            except ValueError:
                raise ImportRejected(
                    f"{_text(raw_amount)!r} is not an amount. Correct the cell and upload the "
                    "file again.",
                    file_name=file_name,
                    line_number=line,
                    column=headers[columns["amount"]],
                ) from None
            flag = _text(cell(cells, "disputed")).lower()
            if flag not in YES | NO:
                raise ImportRejected(
                    f"{flag!r} is not a disputed flag: use Y or N (blank means not disputed). "
                    "Correct the cell and upload the file again.",
                    file_name=file_name,
                    line_number=line,
                    column=headers[columns["disputed"]],
                )
            yield OpenRow(
                line=line,
                supplier_number=number,
                supplier_name=_text(cell(cells, "supplier_name")),
                invoice_number=invoice,
                invoice_date=date(cells, "invoice_date", line),
                received_date=date(cells, "received_date", line),
                due_date=date(cells, "due_date", line),
                amount_pence=amount,
                disputed=flag in YES,
                account=_text(cell(cells, "account")),
            )
    except ImportRejected as error:
        raise error.with_file_name(file_name) from None
    finally:
        close = getattr(locals().get("rows"), "close", None)
        if close is not None:
            close()
        opened.close()
