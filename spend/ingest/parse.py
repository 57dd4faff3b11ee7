"""From an uploaded file to normalised payment records, one at a time.

    header, payments = iter_payments("r12_2021.csv", "r12_2021.csv")
    for payment in payments:
        ...                      # e.g. write to PostgreSQL COPY
    header.payment_rows, header.skipped_rows

``iter_payments`` reads the file's start at once (so a file without a recognisable
header is refused before anything is loaded) and returns an iterator for the rest.
Any bad row raises :class:`ImportRejected` from the iterator; the caller rolls back
what it has loaded from that file.

Natural keys (how the ledger knows a payment it already has):

* ``r12|<INVOICE_PAYMENT_ID>|<DIST_LINE_NUM>``
* ``fusion|<Invoice ID>|<Payment Number>|<Distribution Line Number>``
* ``transparency|<reference>|<line>|<payment date>|<supplier number>|<pence>|<n>``,
  where ``n`` counts identical rows within the file (1, 2, ...): published files
  repeat a reference across invoice lines, sometimes with the same amount.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, Any, NamedTuple

from spend.ingest import normalise
from spend.ingest.errors import ImportRejected
from spend.ingest.layouts import (
    FIELD_LABELS,
    LAYOUTS,
    TRANSPARENCY,
    ColumnMapping,
    apply_custom_mapping,
    closest_layout,
    detect_layout,
    missing_column_error,
    missing_required,
)
from spend.ingest.readers import HEADER_SEARCH_ROWS, NoHeader, OpenedFile, open_rows

LAYOUT_HINTS = ("auto", "r12", "fusion", "transparency")
# A row that has this share of some layout's required columns is taken as the header
# row, so a header with a column missing is explained, not passed over.
NEAR_MISS_SHARE = 0.6
# What a blank supplier name in a published file means (refunds to individuals).
REDACTED_NAME = "Redacted personal data"


class Payment(NamedTuple):
    """One payment row, normalised. Money in integer pence; text trimmed."""

    layout: str  # "r12", "fusion" or "transparency"
    natural_key: str
    supplier_number: str
    supplier_name: str
    site_code: str
    address_line: str
    city: str
    postcode: str  # "PR1 2HE" if UK-shaped, else the cleaned text, or ""
    district: str  # outward code, "PR1"; "" when the postcode is missing or unusable
    payment_date: dt.date
    invoice_number: str
    invoice_date: dt.date | None
    payment_reference: str  # cheque/payment number or published transaction number
    amount_pence: int  # negative for a credit note
    currency: str
    cost_centre: str  # or service area, in a published file
    account: str
    account_description: str  # or expense type
    description: str
    status: str
    is_spend: bool  # False for voided, spoiled and stop-initiated payments
    line_number: int  # physical line (CSV) or row (XLSX) the payment starts on


@dataclass
class ImportHeader:
    """What was found out about the file; the counts fill in as the rows are read."""

    file_name: str
    layout: str
    mapping: ColumnMapping
    kind: str  # "csv" or "xlsx"
    encoding: str
    delimiter: str
    sheet: str
    header_line: int
    payment_rows: int = 0
    skipped_rows: int = 0
    skipped_lines: list[int] = field(default_factory=list)  # the first 100, for the log
    finished: bool = False

    @property
    def column_mapping(self) -> dict[str, str]:
        """canonical field -> the file's header text (to save as a mapping profile)."""
        return self.mapping.as_header_texts()


def iter_payments(
    path_or_fileobj: str | os.PathLike[str] | IO[bytes],
    filename: str,
    layout_hint: str = "auto",
    mapping: Mapping[str, str] | None = None,
    mapping_layout: str = "transparency",
    header_only: bool = False,
) -> tuple[ImportHeader, Iterator[Payment]]:
    """The file's header and an iterator of its payments.

    ``layout_hint`` forces a layout (``r12``, ``fusion``, ``transparency``) or
    lets the header decide (``auto``). ``mapping`` is a saved column mapping
    (canonical field -> header text) for a file whose header no layout knows;
    ``mapping_layout`` says whose rules (required fields, natural key) apply.
    ``header_only`` closes the file once the header is found (the iterator is empty).
    Raises :class:`ImportRejected` for a file that cannot be read.
    """
    if layout_hint not in LAYOUT_HINTS:
        raise ValueError(f"layout_hint must be one of {', '.join(LAYOUT_HINTS)}")
    try:
        opened = OpenedFile(path_or_fileobj)
    except OSError as error:
        raise ImportRejected(
            f"The file cannot be opened ({error.strerror}).", file_name=filename
        ) from None

    def decide(row: Sequence[object]) -> ColumnMapping | None:
        if mapping is not None:
            return apply_custom_mapping(row, mapping, mapping_layout)
        return detect_layout(row, layout_hint)

    def is_header(row: Sequence[object]) -> bool:
        if decide(row) is not None:
            return True
        if mapping is not None:
            return False
        best = closest_layout(row, layout_hint)
        found = len(best.layout.required) - len(best.missing)
        return found >= 2 and found / len(best.layout.required) >= NEAR_MISS_SHARE

    try:
        try:
            source, rows = open_rows(opened, is_header)
        except NoHeader as no_header:
            raise _no_header_error(no_header, mapping, layout_hint) from None
        column_mapping = decide(source.header_cells)
        if column_mapping is None:
            candidate = closest_layout(source.header_cells, layout_hint)
            raise missing_column_error(candidate, source.header_line)
        missing = missing_required(column_mapping)
        if missing:
            raise ImportRejected(
                "The saved column mapping does not say which column holds the "
                + ", ".join(FIELD_LABELS[f] for f in missing)
                + ". Add it to the mapping and upload the file again.",
                line_number=source.header_line,
            )
    except ImportRejected as error:
        opened.close()
        raise error.with_file_name(filename) from None
    except BaseException:
        opened.close()
        raise

    header = ImportHeader(
        file_name=filename,
        layout=column_mapping.layout.name,
        mapping=column_mapping,
        kind=source.kind,
        encoding=source.encoding,
        delimiter=source.delimiter,
        sheet=source.sheet,
        header_line=source.header_line,
    )
    if header_only:
        _close(rows, opened)
        return header, iter(())
    return header, _payments(header, rows, opened, source.kind == "xlsx")


def _no_header_error(
    no_header: NoHeader, mapping: Mapping[str, str] | None, layout_hint: str
) -> ImportRejected:
    if mapping is not None:
        wanted = ", ".join(repr(h) for h in mapping.values() if h)
        return ImportRejected(
            f"No row in the first {HEADER_SEARCH_ROWS} lines has all the headings of the "
            f"saved column mapping ({wanted}). Check the file is the one the mapping was "
            "made for, and upload it again."
        )
    layouts = LAYOUTS.values() if layout_hint == "auto" else [LAYOUTS[layout_hint]]
    examples = "; ".join(
        f"{layout.title}: " + ", ".join(layout.synonyms[f][0] for f in layout.required)
        for layout in layouts
    )
    return ImportRejected(
        f"No header row was found in the first {HEADER_SEARCH_ROWS} lines, so the file's "
        f"layout is unknown. A header row needs columns such as ({examples}). "
        "Upload an Oracle paid-invoices extract or a published spend file, or set up a "
        "column mapping for this layout."
    )


def _xlsx_text(value: Any) -> str:
    """A spreadsheet cell as text: numbers without a spurious '.0', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    return str(value).strip()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _payments(
    header: ImportHeader,
    rows: Iterator[tuple[int, list[Any]]],
    opened: OpenedFile,
    from_xlsx: bool,
) -> Iterator[Payment]:
    """The hot loop: a few microseconds a row, so work is hoisted out of it."""
    mapping = header.mapping
    layout = mapping.layout
    layout_name = layout.name
    columns = mapping.columns
    is_transparency = layout_name == TRANSPARENCY.name

    # Column indexes, resolved once. A field the file lacks reads index -1, which
    # is a blank cell appended to every row.
    def at(field_name: str) -> int:
        return columns.get(field_name, -1)

    need = max(columns.values()) + 1
    # Every text field in one C-level fetch; unpacked below in this order.
    text_fields = (
        ("site_code", "address_line", "city", "invoice_number", "payment_reference"),
        ("currency", "cost_centre", "account", "account_description", "description"),
        ("status", "supplier_number", "supplier_name", "postcode"),
        ("payment_date", "invoice_date"),
    )
    get_texts = itemgetter(*(at(f) for group in text_fields for f in group))
    i_amount = at("amount")
    key_fields = ("payment_reference", "line_number") if is_transparency else layout.natural_key
    get_key = itemgetter(*(at(f) for f in key_fields))  # two or three fields: a tuple
    key_prefix = layout_name + "|"

    text: Callable[[Any], str] = _xlsx_text if from_xlsx else str.strip
    parse_date = normalise.parse_date
    parse_amount = normalise.parse_amount_pence
    clean_name = normalise.clean_supplier_name
    norm_postcode = normalise.normalise_postcode
    is_spend_status = normalise.status_is_spend
    number_from_name = normalise.supplier_number_from_name
    date_cache = normalise._date_cache
    name_cache = normalise._name_cache
    postcode_cache = normalise._postcode_cache
    status_cache = normalise._status_cache
    new_payment = tuple.__new__  # Payment(*fields) without NamedTuple's Python-level __new__
    padding = [""] * need
    # Only needed when some field has no column (and reads index -1).
    sentinel = any(at(f) == -1 for group in text_fields for f in group) or -1 in (
        at(f) for f in key_fields
    )
    earliest_date, latest_date = normalise.payment_date_window()
    max_amount = normalise.MAX_AMOUNT_PENCE
    occurrences: dict[str, int] = {}
    skipped_lines = header.skipped_lines
    payment_rows = skipped_rows = 0

    line = header.header_line
    cells: list[Any] = []
    try:
        for line, cells in rows:
            if len(cells) < need:
                if not cells:  # a blank line
                    skipped_rows += 1
                    continue
                cells.extend(padding[: need - len(cells)])
            if sentinel:
                cells.append("")

            (
                site, address, city, invoice_number, reference, currency, cost_centre,
                account, account_description, description, status, supplier_number,
                raw_name, raw_postcode, date_text, invoice_date_text,
            ) = map(text, get_texts(cells))  # fmt: skip
            key_parts = list(map(text, get_key(cells)))

            if not date_text:
                if is_transparency:
                    looks_like_payment = bool(raw_name) and not _is_blank(cells[i_amount])
                else:
                    looks_like_payment = any(key_parts)
                if not looks_like_payment:
                    # Blank lines, "Report Total" footers, notes under the table.
                    skipped_rows += 1
                    if len(skipped_lines) < 100:
                        skipped_lines.append(line)
                    continue
                raise _row_error(header, line, "payment_date", "blank")
            if not is_transparency and not all(key_parts):
                raise _row_error(header, line, key_fields[key_parts.index("")], "blank")

            # Cache lookups inlined (the normalisers fill these caches): most dates,
            # postcodes and names repeat, and a call costs more than a lookup.
            payment_date = date_cache.get(date_text) or parse_date(date_text)
            if not earliest_date <= payment_date <= latest_date:
                raise _row_error(
                    header, line, "payment_date", _implausible_date(payment_date, date_text)
                )
            amount = parse_amount(cells[i_amount])
            if not -max_amount <= amount <= max_amount:
                raise _row_error(header, line, "amount", _implausible_amount(cells[i_amount]))
            if invoice_date_text:
                invoice_date = date_cache.get(invoice_date_text) or parse_date(invoice_date_text)
            else:
                invoice_date = None
            name = name_cache.get(raw_name) or clean_name(raw_name)
            postcode, district = postcode_cache.get(raw_postcode) or norm_postcode(raw_postcode)
            if status:
                is_spend = status_cache.get(status)
                if is_spend is None:
                    is_spend = is_spend_status(status)
            else:
                is_spend = True

            if is_transparency:
                if not name:
                    name = REDACTED_NAME
                if not supplier_number:
                    supplier_number = number_from_name(name)
                base = (
                    f"{key_prefix}{key_parts[0]}|{key_parts[1]}|{payment_date.isoformat()}"
                    f"|{supplier_number}|{amount}"
                )
                count = occurrences.get(base, 0) + 1
                occurrences[base] = count
                natural_key = f"{base}|{count}"
            else:
                if not supplier_number:
                    raise _row_error(header, line, "supplier_number", "blank")
                natural_key = key_prefix + "|".join(key_parts)

            payment_rows += 1
            yield new_payment(
                Payment,
                (
                    layout_name,
                    natural_key,
                    supplier_number,
                    name,
                    site,
                    address,
                    city,
                    postcode,
                    district,
                    payment_date,
                    invoice_number,
                    invoice_date,
                    reference,
                    amount,
                    currency or "GBP",
                    cost_centre,
                    account,
                    account_description,
                    description,
                    status,
                    is_spend,
                    line,
                ),
            )
        header.finished = True
    except ValueError:
        # Find which cell was wrong (rare, so done slowly here, not on every row).
        raise _explain_bad_row(header, line, cells) from None
    except ImportRejected as error:
        raise error.with_file_name(header.file_name) from None
    finally:
        header.payment_rows = payment_rows
        header.skipped_rows = skipped_rows
        _close(rows, opened)


def _close(rows: Iterator[tuple[int, list[Any]]], opened: OpenedFile) -> None:
    """Let go of the reader (an XLSX workbook, a CSV text stream) and the file."""
    close_rows = getattr(rows, "close", None)
    if close_rows is not None:
        close_rows()
    opened.close()


def _column_label(header: ImportHeader, field_name: str) -> str:
    return header.mapping.header_text(field_name)


def _row_error(header: ImportHeader, line: int, field_name: str, problem: str) -> ImportRejected:
    column = _column_label(header, field_name)
    what = FIELD_LABELS.get(field_name, field_name)
    if problem == "blank":
        message = (
            f"the {what} is blank, so this row cannot go into the ledger. "
            "Fill it in (or delete the row if it is not a payment) and upload the file again."
        )
    else:
        message = problem
    return ImportRejected(message, file_name=header.file_name, line_number=line, column=column)


def _implausible_date(payment_date: dt.date, shown: str) -> str:
    earliest, latest = normalise.payment_date_window()
    return (
        f"the payment date {shown!r} ({payment_date:%d %B %Y}) is outside the dates the ledger "
        f"accepts ({earliest:%d %B %Y} to {latest:%d %B %Y}); it looks like a placeholder. "
        "Correct the date (or remove the row) and upload the file again. Nothing from this "
        "file was loaded."
    )


def _implausible_amount(value: Any) -> str:
    shown = value.strip() if isinstance(value, str) else value
    limit = normalise.format_pence(normalise.MAX_AMOUNT_PENCE).removesuffix(".00")
    return (
        f"the amount {shown!r} is more than £{int(limit):,} either way, larger than any "
        "payment the ledger accepts. Correct the cell and upload the file again. Nothing from "
        "this file was loaded."
    )


def _explain_bad_row(header: ImportHeader, line: int, cells: list[Any]) -> ImportRejected:
    columns = header.mapping.columns
    checks: list[tuple[str, Callable[[Any], object], str]] = [
        ("payment_date", normalise.parse_date, "a date"),
        ("amount", normalise.parse_amount_pence, "an amount"),
        ("invoice_date", normalise.parse_date, "a date"),
    ]
    for field_name, check, kind in checks:
        index = columns.get(field_name)
        if index is None or index >= len(cells):
            continue
        value = cells[index]
        if field_name == "invoice_date" and _is_blank(value):
            continue
        if field_name == "amount" and _is_blank(value):
            return _row_error(header, line, field_name, "blank")
        try:
            check(value)
        except ValueError:
            shown = value.strip() if isinstance(value, str) else value
            hint = " Dates are read day first (DD/MM/YYYY)." if kind == "a date" else ""
            return _row_error(
                header,
                line,
                field_name,
                f"{shown!r} is not {kind}.{hint} Correct the cell and upload the file again.",
            )
    return ImportRejected(
        "This row cannot be read. Check it and upload the file again.",
        file_name=header.file_name,
        line_number=line,
    )


def read_all(
    path_or_fileobj: str | os.PathLike[str] | IO[bytes],
    filename: str,
    layout_hint: str = "auto",
    mapping: Mapping[str, str] | None = None,
) -> tuple[ImportHeader, list[Payment]]:
    """Every payment in a (small) file as a list: for tests and previews."""
    header, payments = iter_payments(path_or_fileobj, filename, layout_hint, mapping)
    return header, list(payments)
