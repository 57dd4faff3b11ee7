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
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import IO, Any, NamedTuple

from spend.ingest import normalise
from spend.ingest.errors import ImportRejected, RowRefused, SheetRefused
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
from spend.ingest.readers import (
    COMPLETE_HEADER_RANK,
    HEADER_SEARCH_ROWS,
    NoHeader,
    OpenedFile,
    SheetHeader,
    open_rows,
)

LAYOUT_HINTS = ("auto", "r12", "fusion", "transparency")
# A row that has this share of some layout's required columns is taken as the header
# row, so a header with a column missing is explained, not passed over.
NEAR_MISS_SHARE = 0.6
# What a payment to a redacted payee is shown as, and the one reserved supplier number all
# such payments share: it is never a supplier (spend.selectors leaves it out of every supplier
# figure) but its spend counts in every total. A blank name in a published file is redacted.
REDACTED_NAME = "Redacted"
REDACTED_NUMBER = normalise.REDACTED_SUPPLIER_NUMBER
# The markers councils put in place of a name, used when the database's list is not given
# (spend.models.RedactionMarker holds the list an administrator keeps).
DEFAULT_REDACTION_MARKERS = (
    "Redacted",
    "Redacted personal data",
    "Redacted - personal data",
    "Personal data",
    "Personal information",
    "Withheld",
    "Name withheld",
    "Data protection",
    "Private individual",
    "Individual",
    "*",
)
# A name with one of these words in it stands for a redacted payee, whatever else it says
# ("DETAILS REDACTED", "REDACTED COMMERCIAL CONFIDENTIALITY"); a whole word, so "REDACTIVE
# MEDIA SALES LTD" is a supplier.
REDACTION_WORDS = re.compile(r"\b(?:REDACTED|WITHHELD)\b", re.IGNORECASE)
# A supplier number seen with this many unrelated payee names in one file is a sundry number
# (one number for many one-off payees): its payments keep their own payee names.
SUNDRY_MIN_NAMES = 3


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
    order_reference: str  # purchase order or contract reference, when the file has one
    # Optional columns (reg 38 needs the day the invoice was received); None when absent.
    received_date: dt.date | None = None
    terms_date: dt.date | None = None
    due_date: dt.date | None = None


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
    # Name keys (normalise.redaction_key) that mean a redacted payee, and supplier numbers
    # shared by many payees (declared, or found in this file): see REDACTED_NAME, sundry.
    redaction_keys: frozenset[str] = frozenset()
    sundry_numbers: frozenset[str] = frozenset()
    # Workbook sheets: (title, header line, payment rows) read, (title, why) skipped.
    sheets_read: list[tuple[str, int, int]] = field(default_factory=list)
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)
    # Rows that add up others ("VARIOUS, VARIOUS, £3,615.39"): (line, pence), not imported.
    aggregate_rows: list[tuple[int, int]] = field(default_factory=list)
    redacted_rows: int = 0
    repeated_rows: int = 0
    header_not_at_top: bool = False  # found below the first rows; every other row read with it
    # "Import the good rows": a bad row is set aside here (line, column, value, reason)
    # instead of refusing the file. Off by default: a file goes in whole or not at all.
    good_rows_only: bool = False
    refused_rows: list[tuple[int, str, str, str]] = field(default_factory=list)
    # Whether a row is a header, and its columns (a sheet's own header, a second table).
    decide: Callable[[Sequence[object]], ColumnMapping | None] | None = field(
        default=None, repr=False, compare=False
    )

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
    redaction_markers: Iterable[str] = DEFAULT_REDACTION_MARKERS,
    sundry_numbers: Iterable[str] = (),
    good_rows_only: bool = False,
) -> tuple[ImportHeader, Iterator[Payment]]:
    """The file's header and an iterator of its payments.

    ``layout_hint`` forces a layout (``r12``, ``fusion``, ``transparency``) or
    lets the header decide (``auto``). ``mapping`` is a saved column mapping
    (canonical field -> header text) for a file whose header no layout knows;
    ``mapping_layout`` says whose rules (required fields, natural key) apply.
    ``header_only`` closes the file once the header is found (the iterator is empty).
    ``redaction_markers``: names that stand for a redacted payee; ``sundry_numbers``: supplier
    numbers known to be shared by many payees (a published file is also searched for more).
    ``good_rows_only``: a bad row is noted in ``header.refused_rows`` and the reading goes on.
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

    def is_header(row: Sequence[object]) -> float:
        # A complete header outranks any near miss; among equals, more fields matched wins.
        decided = decide(row)
        if decided is not None:
            return COMPLETE_HEADER_RANK + len(decided.columns)
        if mapping is not None:
            return 0
        best = closest_layout(row, layout_hint)
        found = len(best.layout.required) - len(best.missing)
        if found >= 2 and found / len(best.layout.required) >= NEAR_MISS_SHARE:
            return found
        return 0

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
        redaction_keys=frozenset(normalise.redaction_key(m) for m in redaction_markers),
        sundry_numbers=frozenset(sundry_numbers),
        good_rows_only=good_rows_only,
    )
    header.decide = decide
    header.header_not_at_top = source.header_not_at_top
    header.sheets_skipped = source.sheets_skipped  # filled in as later sheets are reached
    if header_only:
        _close(rows, opened)
        return header, iter(())
    if header.layout == TRANSPARENCY.name:
        header.sundry_numbers |= _find_sundry_numbers(path_or_fileobj, is_header, decide, header)
    from_xlsx = source.kind == "xlsx"
    above = _payments_above(column_mapping, source.rows_above, from_xlsx)
    if above:
        header.header_not_at_top = True
    return header, _payments(header, rows, opened, from_xlsx, above)


def _payments_above(
    mapping: ColumnMapping, rows: list[tuple[int, Any]], from_xlsx: bool
) -> list[tuple[int, Any]]:
    """The rows above a header that read as payments with it (a file sorted with its header
    among the data): they are read, not dropped with the titles above a header."""
    i_date, i_amount = mapping.columns.get("payment_date"), mapping.columns.get("amount")
    if i_date is None or i_amount is None:
        return []
    text: Callable[[Any], str] = _xlsx_text if from_xlsx else (lambda v: str(v).strip())
    kept = []
    for line, cells in rows:
        if len(cells) <= max(i_date, i_amount):
            continue
        try:
            normalise.parse_date(text(cells[i_date]))
            normalise.parse_amount_pence(cells[i_amount])
        except ValueError:
            continue
        kept.append((line, list(cells)))
    return kept


def _find_sundry_numbers(
    path_or_fileobj: str | os.PathLike[str] | IO[bytes],
    is_header: Callable[[Sequence[object]], float],
    decide: Callable[[Sequence[object]], ColumnMapping | None],
    header: ImportHeader,
) -> frozenset[str]:
    """Supplier numbers this published file pays to several unrelated payees (a first,
    light reading of two columns; published files are a month or a year of rows)."""
    stems: dict[str, set[str]] = {}
    # Its own handle on a path; on a file object, the reading proper's place is kept.
    handle = None if isinstance(path_or_fileobj, (str, os.PathLike)) else path_or_fileobj
    position = handle.tell() if handle is not None else 0
    if handle is not None:
        handle.seek(0)
    second = OpenedFile(path_or_fileobj)
    try:
        _source, rows = open_rows(second, is_header)
    except (NoHeader, ImportRejected):
        second.close()
        if handle is not None:
            handle.seek(position)
        return frozenset()
    columns = header.mapping.columns
    try:
        for _line, cells in rows:
            if isinstance(cells, SheetHeader):
                found = decide(cells)
                columns = found.columns if found is not None else {}
                continue
            i_number, i_name = columns.get("supplier_number"), columns.get("supplier_name")
            if i_number is None or i_name is None or len(cells) <= max(i_number, i_name):
                continue
            number, name = _xlsx_text(cells[i_number]), _xlsx_text(cells[i_name])
            if not number or normalise.redaction_key(name) in header.redaction_keys:
                continue
            stems.setdefault(number, set()).add(normalise.payee_stem(name))
    except (ImportRejected, ValueError):
        return frozenset()  # the reading proper says what is wrong
    finally:
        _close(rows, second)
        if handle is not None:
            handle.seek(position)
    return frozenset(n for n, found in stems.items() if len(found) >= SUNDRY_MIN_NAMES)


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


def _payments_under(
    header: ImportHeader,
    mapping: ColumnMapping,
    rows: Iterator[tuple[int, list[Any]]],
    from_xlsx: bool,
    occurrences: dict[str, int],
) -> Iterator[Payment]:
    """The hot loop: a few microseconds a row, so work is hoisted out of it. Raises _Restart
    at a row that changes the columns (a sheet's or a second table's header) or is set aside
    (an aggregate row): the caller goes on from the next row."""
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
        ("payment_date", "invoice_date", "order_reference"),
        ("received_date", "terms_date", "due_date"),
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
    redaction_keys = header.redaction_keys | {""}  # a blank name is always redacted
    sundry_numbers = header.sundry_numbers
    redaction_key = normalise.redaction_key
    sundry_payee_number = normalise.sundry_payee_number
    redacted_of: dict[str, bool] = {}
    redacted_rows = 0
    earliest_date, latest_date = normalise.payment_date_window()
    max_amount = normalise.MAX_AMOUNT_PENCE
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
                raw_name, raw_postcode, date_text, invoice_date_text, order_reference,
                received_text, terms_text, due_text,
            ) = map(text, get_texts(cells))  # fmt: skip
            key_parts = list(map(text, get_key(cells)))

            if not date_text:
                if is_transparency:
                    looks_like_payment = bool(raw_name) and not _is_blank(cells[i_amount])
                else:
                    looks_like_payment = any(key_parts)
                if isinstance(cells, SheetHeader):  # always a restart (or refused)
                    raise _restart_at(header, mapping, line, cells) or _Restart(mapping, None, line)
                if not looks_like_payment:
                    # Blank lines, "Report Total" footers, notes under the table.
                    skipped_rows += 1
                    if len(skipped_lines) < 100:
                        skipped_lines.append(line)
                    continue
                restart = _restart_at(header, mapping, line, cells)
                if restart is not None:
                    raise restart
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
            # Most extracts lack these three: one test of each blank cell, nothing more.
            received_date = (
                (date_cache.get(received_text) or parse_date(received_text))
                if received_text
                else None
            )
            terms_date = (
                (date_cache.get(terms_text) or parse_date(terms_text)) if terms_text else None
            )
            due_date = (date_cache.get(due_text) or parse_date(due_text)) if due_text else None
            name = name_cache.get(raw_name) or clean_name(raw_name)
            postcode, district = postcode_cache.get(raw_postcode) or norm_postcode(raw_postcode)
            if status:
                is_spend = status_cache.get(status)
                if is_spend is None:
                    is_spend = is_spend_status(status)
            else:
                is_spend = True

            # The natural key keeps the number the row came with (as imports always have);
            # the supplier a redacted or sundry payee is filed under is decided after it.
            if is_transparency:
                if not supplier_number:
                    supplier_number = number_from_name(name or "Redacted personal data")
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
            redacted = redacted_of.get(name)
            if redacted is None:
                redacted = redacted_of[name] = redaction_key(name) in redaction_keys or bool(
                    REDACTION_WORDS.search(name)
                )
            if redacted:
                name, supplier_number = REDACTED_NAME, REDACTED_NUMBER
                redacted_rows += 1
            elif supplier_number in sundry_numbers:
                supplier_number = sundry_payee_number(supplier_number, name)

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
                    order_reference,
                    received_date,
                    terms_date,
                    due_date,
                ),
            )
    except ValueError:
        # A header or an aggregate row, or else find which cell was wrong (rare, so done
        # slowly here, not on every row).
        restart = _restart_at(header, mapping, line, cells)
        if restart is not None:
            raise restart from None
        raise _set_aside(header, mapping, _explain_bad_row(header, line, cells)) from None
    except SheetRefused as error:
        raise error.with_file_name(header.file_name) from None
    except ImportRejected as error:
        raise _set_aside(header, mapping, error.with_file_name(header.file_name)) from None
    finally:
        header.payment_rows += payment_rows
        header.skipped_rows += skipped_rows
        header.redacted_rows += redacted_rows


# "Import the good rows" stops at this many refused rows: past it the file needs correcting.
REFUSED_ROWS_LIMIT = 10_000


def _set_aside(header: ImportHeader, mapping: ColumnMapping, error: ImportRejected) -> Exception:
    """The bad row's refusal, or (importing the good rows) a note of it and a restart."""
    if not (header.good_rows_only and isinstance(error, RowRefused)) or error.line_number is None:
        return error
    if len(header.refused_rows) >= REFUSED_ROWS_LIMIT:
        return ImportRejected(
            f"More than {REFUSED_ROWS_LIMIT:,} rows are refused, so the good rows were not "
            "imported either. Correct the file and upload it again.",
            file_name=header.file_name,
        )
    header.refused_rows.append(
        (error.line_number, error.column or "", error.value or "", error.reason)
    )
    return _Restart(mapping, None, error.line_number)


class _Restart(Exception):
    """Go on reading from the next row, with these columns (and first these rows: a sheet's
    payments above its header)."""

    def __init__(
        self,
        mapping: ColumnMapping,
        sheet: str | None,
        line: int,
        above: list[tuple[int, Any]] | None = None,
    ) -> None:
        super().__init__("restart")
        self.mapping = mapping
        self.sheet = sheet
        self.line = line
        self.above = above or []


# What an aggregate row (one line summing several payments) says in place of a date and payee.
AGGREGATE_WORDS = frozenset({"VARIOUS", "MULTIPLE", "SEVERAL", "ALL"})


def _restart_at(
    header: ImportHeader, mapping: ColumnMapping, line: int, cells: list[Any]
) -> _Restart | None:
    """Whether this row is a header (of a later sheet, or a second table half-way down a
    sheet) or an aggregate row; None if it is neither (and so an error)."""
    if isinstance(cells, SheetHeader):
        found = header.decide(cells) if header.decide is not None else None
        if found is None:
            raise SheetRefused(
                f"The sheet {cells.title!r} has a header the {mapping.layout.title} layout "
                "does not read. Give each sheet the same columns, or upload it on its own.",
                line_number=line,
            )
        return _Restart(found, cells.title, line, _payments_above(found, cells.above, True))
    if header.decide is not None:
        found = header.decide(cells)
        if found is not None and found.layout is mapping.layout:
            return _Restart(found, None, line)
    aggregate = [
        _xlsx_text(cells[i]).upper()
        for f in ("payment_date", "supplier_name")
        if (i := mapping.columns.get(f)) is not None and i < len(cells)
    ]
    if aggregate and all(word in AGGREGATE_WORDS for word in aggregate):
        i_amount = mapping.columns["amount"]
        try:
            pence = normalise.parse_amount_pence(cells[i_amount])
        except ValueError:
            return None
        header.aggregate_rows.append((line, pence))
        return _Restart(mapping, None, line)
    return None


def _payments(
    header: ImportHeader,
    rows: Iterator[tuple[int, list[Any]]],
    opened: OpenedFile,
    from_xlsx: bool,
    above: list[tuple[int, Any]] | None = None,
) -> Iterator[Payment]:
    """Every payment of the file (``above``: payments above its header, read first), the
    columns following each header met on the way."""
    occurrences: dict[str, int] = {}
    mapping = header.mapping
    sheet, sheet_line, rows_before = header.sheet, header.header_line, header.payment_rows
    stream: Iterator[tuple[int, list[Any]]] = chain(above, rows) if above else rows
    try:
        while True:
            try:
                yield from _payments_under(header, mapping, stream, from_xlsx, occurrences)
                break
            except _Restart as restart:
                mapping = restart.mapping
                if restart.above:
                    stream = chain(restart.above, stream)
                if restart.sheet is not None:
                    header.sheets_read.append(
                        (sheet, sheet_line, header.payment_rows - rows_before)
                    )
                    sheet, sheet_line = restart.sheet, restart.line
                    rows_before = header.payment_rows
        if from_xlsx:
            header.sheets_read.append((sheet, sheet_line, header.payment_rows - rows_before))
        # Published rows met again (same reference, date, payee and amount): a doubled file.
        header.repeated_rows = sum(count - 1 for count in occurrences.values())
        header.finished = True
    finally:
        _close(rows, opened)


def _close(rows: Iterator[tuple[int, list[Any]]], opened: OpenedFile) -> None:
    """Let go of the reader (an XLSX workbook, a CSV text stream) and the file."""
    close_rows = getattr(rows, "close", None)
    if close_rows is not None:
        close_rows()
    opened.close()


def _column_label(header: ImportHeader, field_name: str) -> str:
    return header.mapping.header_text(field_name)


def _row_error(header: ImportHeader, line: int, field_name: str, problem: str) -> RowRefused:
    column = _column_label(header, field_name)
    what = FIELD_LABELS.get(field_name, field_name)
    if problem == "blank":
        message = (
            f"the {what} is blank, so this row cannot go into the ledger. "
            "Fill it in (or delete the row if it is not a payment) and upload the file again."
        )
    else:
        message = problem
    return RowRefused(message, file_name=header.file_name, line_number=line, column=column)


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
        ("received_date", normalise.parse_date, "a date"),
        ("terms_date", normalise.parse_date, "a date"),
        ("due_date", normalise.parse_date, "a date"),
    ]
    for field_name, check, kind in checks:
        index = columns.get(field_name)
        if index is None or index >= len(cells):
            continue
        value = cells[index]
        if field_name not in ("payment_date", "amount") and _is_blank(value):
            continue
        if field_name == "amount" and _is_blank(value):
            return _row_error(header, line, field_name, "blank")
        try:
            check(value)
        except ValueError:
            shown = value.strip() if isinstance(value, str) else value
            hint = " Dates are read day first (DD/MM/YYYY)." if kind == "a date" else ""
            refusal = _row_error(
                header,
                line,
                field_name,
                f"{shown!r} is not {kind}.{hint} Correct the cell and upload the file again.",
            )
            refusal.value = str(shown)
            return refusal
    return RowRefused(
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
