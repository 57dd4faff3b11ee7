"""Streaming readers: a CSV or XLSX file in, rows of cells with their line numbers out.

Nothing here holds the whole file in memory: CSV is decoded and split as it is
read, XLSX goes through openpyxl's read-only mode. The reader also finds the
header row (the first row a layout recognises, within the first rows of the file)
so title and run-date lines above it are skipped.

Line numbers are *physical*: the line of a CSV file where the row starts (a quoted
field with embedded newlines spans several lines), or the row number in the sheet.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from spend.ingest.errors import ImportRejected

# How far down the file the header row may be (title and run-date lines above it).
HEADER_SEARCH_ROWS = 30
# Bytes read to decide the encoding and the delimiter.
SAMPLE_BYTES = 256 * 1024
CSV_DELIMITERS = (",", ";", "\t", "|")
# One CSV field may be a long description, but not a whole file with a stray quote.
CSV_FIELD_LIMIT = 1024 * 1024

# XLSX guards, checked before openpyxl opens the file.
XLSX_MAX_UNCOMPRESSED = 2 * 1024**3  # 2 GB, about 4M rows of 20 columns
XLSX_MAX_RATIO = 100  # a spreadsheet compresses 5-30 times; zip bombs 1000+
XLSX_RATIO_FLOOR = 10 * 1024**2  # members under 10 MB may compress as they like
XLSX_MAX_MEMBERS = 10_000
XLSX_MAX_ROWS = 2_000_000  # Excel itself stops at 1,048,576
XLSX_MAX_COLUMNS = 500
XLSX_MAX_CELLS = 100_000_000

Row = list[Any]
# A predicate that says whether a row is the header row; returns anything truthy.
HeaderTest = Callable[[Sequence[object]], object]

_FALLBACK_ERRORS = "spend-cp1252-fallback"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes that failed as Windows-1252 (Latin-1 for its 5 gaps).

    A file that is UTF-8 in its first part and has a stray Windows-1252 '£' further
    down is decoded, not refused half way through.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(
        bytes([b]).decode("cp1252") if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(b)
        for b in bad
    )
    return text, error.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)


@dataclass
class Source:
    """What the reader found out about a file before its data rows."""

    kind: str  # "csv" or "xlsx"
    encoding: str  # "utf-8-sig", "utf-8", "cp1252", or "xlsx"
    delimiter: str  # CSV only
    sheet: str  # XLSX only
    header_line: int
    header_cells: list[Any]


class OpenedFile:
    """A binary, seekable handle on the upload; closes it only if we opened it."""

    def __init__(self, path_or_fileobj: str | os.PathLike[str] | IO[bytes]) -> None:
        self._owned = False
        if isinstance(path_or_fileobj, (str, os.PathLike)):
            self.handle: IO[bytes] = open(path_or_fileobj, "rb")  # noqa: SIM115
            self._owned = True
        else:
            handle = path_or_fileobj
            if isinstance(handle, io.TextIOBase):
                raise TypeError("Give the file opened in binary mode ('rb').")
            if not handle.seekable():
                # A pipe or socket: spool it to disk so it can be read twice.
                spooled = tempfile.SpooledTemporaryFile(max_size=16 * 1024**2)  # noqa: SIM115
                while chunk := handle.read(1024 * 1024):
                    spooled.write(chunk)
                spooled.seek(0)
                self.handle = spooled
                self._owned = True
            else:
                self.handle = handle
        self.start = self.handle.tell()

    def rewind(self) -> None:
        self.handle.seek(self.start)

    def close(self) -> None:
        if self._owned:
            self.handle.close()


# ---------------------------------------------------------------------------
# What kind of file is it?
# ---------------------------------------------------------------------------


def sniff_kind(head: bytes) -> str:
    """``"xlsx"`` or ``"csv"`` from the first bytes; anything else is refused.

    The extension is not trusted: a PDF or a program renamed ``.csv`` is caught here.
    """
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"%PDF"):
        raise ImportRejected(
            "This is a PDF, not a spreadsheet. Upload the spend data as CSV or XLSX."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRejected(
            "This is an old Excel (.xls) or other Office file. "
            "Open it in Excel, save it as .xlsx or CSV, and upload that."
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRejected(
            "This file is saved as UTF-16 text. Save it as 'CSV UTF-8' or .xlsx and upload that."
        )
    if not head.strip():
        raise ImportRejected("The file is empty.")
    if b"\x00" in head or _control_share(head) > 0.01:
        raise ImportRejected(
            "This is not a CSV or XLSX file (it contains binary data). "
            "Upload the spend data as CSV or XLSX."
        )
    return "csv"


def _control_share(head: bytes) -> float:
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls / max(len(head), 1)


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without byte-order mark) if the sample decodes as it, else Windows-1252."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut off at the end of the sample is still UTF-8.
        if error.start < len(sample) - 3:
            return "cp1252"
    return "utf-8"


def text_stream(handle: IO[bytes], encoding: str) -> io.TextIOWrapper:
    # newline="" hands line endings to the csv module untranslated, as it requires.
    return io.TextIOWrapper(
        handle, encoding=encoding, errors=_FALLBACK_ERRORS, newline="", write_through=False
    )


def _rows_with_lines(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """csv rows with the physical line each one starts on."""
    line = reader.line_num + 1
    for row in reader:
        yield line, row
        line = reader.line_num + 1


def _find_header(rows: Iterator[tuple[int, Row]], is_header: HeaderTest) -> tuple[int, Row] | None:
    for count, (line, row) in enumerate(rows):
        if count >= HEADER_SEARCH_ROWS:
            return None
        if row and is_header(row):
            return line, row
    return None


def _first_rows(rows: Iterator[tuple[int, Row]]) -> list[tuple[int, Row]]:
    out = []
    for count, item in enumerate(rows):
        if count >= HEADER_SEARCH_ROWS:
            break
        out.append(item)
    return out


class NoHeader(Exception):
    """No row in the first rows is recognised; carries those rows to explain why."""

    def __init__(self, first_rows: list[tuple[int, Row]]) -> None:
        super().__init__("no header row")
        self.first_rows = first_rows


def read_csv(opened: OpenedFile, is_header: HeaderTest) -> tuple[Source, Iterator[tuple[int, Row]]]:
    """The header of a CSV file and an iterator of its data rows (line, cells)."""
    opened.rewind()
    sample = opened.handle.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    text_sample = sample.decode(encoding, errors=_FALLBACK_ERRORS)

    csv.field_size_limit(CSV_FIELD_LIMIT)
    delimiter = None
    for candidate in _delimiters_by_likelihood(text_sample):
        reader = csv.reader(io.StringIO(text_sample, newline=""), delimiter=candidate)
        try:
            if _find_header(_rows_with_lines(reader), is_header) is not None:
                delimiter = candidate
                break
        except csv.Error:
            continue
    if delimiter is None:
        delimiter = _delimiters_by_likelihood(text_sample)[0]
        reader = csv.reader(io.StringIO(text_sample, newline=""), delimiter=delimiter)
        try:
            first = _first_rows(_rows_with_lines(reader))
        except csv.Error:
            first = []
        raise NoHeader(first)

    opened.rewind()
    stream = text_stream(opened.handle, encoding)
    reader = csv.reader(stream, delimiter=delimiter)
    rows = _rows_with_lines(reader)
    found = _find_header(rows, is_header)
    assert found is not None  # the sample had it
    header_line, header_cells = found
    source = Source("csv", encoding, delimiter, "", header_line, header_cells)
    return source, _guard_csv_errors(rows, reader, stream)


def csv_unreadable(error: csv.Error, line_number: int) -> ImportRejected:
    """What the administrator is told when the csv module gives up on a line."""
    return ImportRejected(
        f"The file cannot be read as CSV here ({error}). This usually means a quote "
        'mark (") opens a field that never closes. Correct it and upload the file again.',
        line_number=line_number,
    )


def _guard_csv_errors(
    rows: Iterator[tuple[int, Row]], reader: Any, stream: io.TextIOWrapper
) -> Iterator[tuple[int, Row]]:
    try:
        yield from rows
    except csv.Error as error:
        raise csv_unreadable(error, reader.line_num) from None
    finally:
        # Let go of the binary handle without closing it: the caller may own it.
        if not stream.closed:
            stream.detach()


def _delimiters_by_likelihood(text: str) -> list[str]:
    head = text[:20_000]
    return sorted(CSV_DELIMITERS, key=lambda d: -head.count(d))


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------


def check_zip_safety(handle: IO[bytes]) -> None:
    """Refuse a zip whose members would unpack to too much, before opening it.

    The sizes are those the zip declares; Python's zipfile never unpacks a member
    beyond its declared size, so the declared sizes bound the work.
    """
    start = handle.tell()
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except zipfile.BadZipFile:
        raise ImportRejected(
            "The file looks like an XLSX workbook but is damaged. "
            "Open it in Excel, save it again and upload it."
        ) from None
    if "xl/workbook.xml" not in names:
        raise ImportRejected(
            "This is a zip file, not an Excel workbook. Upload the spend data as CSV or XLSX."
        )
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportRejected("The workbook has too many parts to be a spend extract.")
    total = sum(m.file_size for m in members)
    if total > XLSX_MAX_UNCOMPRESSED:
        raise ImportRejected(
            f"The workbook would unpack to {total // 1024**2:,} MB, more than the "
            f"{XLSX_MAX_UNCOMPRESSED // 1024**2:,} MB allowed. Split it into smaller files "
            "(for example one per financial year), or export it as CSV."
        )
    for member in members:
        if member.file_size > XLSX_RATIO_FLOOR and member.file_size > XLSX_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise ImportRejected(
                f"The workbook part {member.filename} is compressed "
                f"{member.file_size // max(member.compress_size, 1):,} times, far more than a "
                "real spreadsheet. The file is refused as unsafe (a possible zip bomb)."
            )
    # Rows and cells counted in the sheets' XML before openpyxl builds a single row (imported
    # here: the CSV chunk processes never need it).
    from portal.workbooks import WorkbookLimits, WorkbookRefused, check_workbook

    limits = WorkbookLimits(
        max_rows=XLSX_MAX_ROWS,
        max_cells=XLSX_MAX_CELLS,
        max_uncompressed_bytes=XLSX_MAX_UNCOMPRESSED,
        max_ratio=XLSX_MAX_RATIO,
        ratio_floor_bytes=XLSX_RATIO_FLOOR,
        max_members=XLSX_MAX_MEMBERS,
    )
    handle.seek(start)
    try:
        check_workbook(handle, limits)
    except WorkbookRefused as refusal:
        raise ImportRejected(str(refusal)) from None


def read_xlsx(
    opened: OpenedFile, is_header: HeaderTest
) -> tuple[Source, Iterator[tuple[int, Row]]]:
    """The header of the first sheet that has one, and an iterator of its data rows."""
    import openpyxl  # imported here: CSV-only users do not pay for it

    opened.rewind()
    check_zip_safety(opened.handle)
    opened.rewind()
    try:
        workbook = openpyxl.load_workbook(
            opened.handle, read_only=True, data_only=True, keep_links=False
        )
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportRejected(
            f"The workbook cannot be opened ({error.__class__.__name__}). "
            "Open it in Excel, save it as .xlsx again and upload it."
        ) from None

    first_rows: list[tuple[int, Row]] = []
    for sheet in workbook.worksheets:
        max_row = getattr(sheet, "max_row", None)
        if max_row is not None and max_row > XLSX_MAX_ROWS:
            workbook.close()
            raise ImportRejected(
                f"The sheet {sheet.title!r} has {max_row:,} rows, more than the "
                f"{XLSX_MAX_ROWS:,} allowed. Split it into smaller files.",
            )
        max_column = getattr(sheet, "max_column", None)
        if max_column is not None and max_column > XLSX_MAX_COLUMNS:
            workbook.close()
            raise ImportRejected(
                f"The sheet {sheet.title!r} has {max_column:,} columns, more than the "
                f"{XLSX_MAX_COLUMNS:,} allowed. Delete the unused columns (or copy the data "
                "to a new workbook), save it and upload it again."
            )
        rows = _xlsx_rows(sheet)
        found = _find_header(rows, is_header)
        if found is not None:
            header_line, header_cells = found
            source = Source("xlsx", "xlsx", "", sheet.title, header_line, header_cells)
            return source, _closing(rows, workbook)
        if not first_rows:
            first_rows = _first_rows(_xlsx_rows(sheet))
    workbook.close()
    raise NoHeader(first_rows)


def _xlsx_rows(sheet: Any) -> Iterator[tuple[int, Row]]:
    """Rows of a read-only sheet with their row numbers, width capped."""
    max_column = getattr(sheet, "max_column", None) or XLSX_MAX_COLUMNS
    width = min(max_column, XLSX_MAX_COLUMNS)
    row_number = 0
    # openpyxl's read-only sheets fill gaps with empty rows, so counting is exact.
    # max_row past the limit: openpyxl would otherwise stop at the row count the sheet claims
    # in its <dimension>, silently dropping the rows of a sheet that claims too few.
    cells = sheet.iter_rows(values_only=True, max_col=width, max_row=XLSX_MAX_ROWS + 1)
    for row_number, values in enumerate(cells, start=1):
        if row_number > XLSX_MAX_ROWS:
            raise ImportRejected(
                f"The sheet {sheet.title!r} has more than {XLSX_MAX_ROWS:,} rows. "
                "Split it into smaller files.",
                line_number=row_number,
            )
        yield row_number, list(values)


def _closing(rows: Iterator[tuple[int, Row]], workbook: Any) -> Iterator[tuple[int, Row]]:
    try:
        yield from rows
    finally:
        workbook.close()


# ---------------------------------------------------------------------------
# Either
# ---------------------------------------------------------------------------


def open_rows(
    opened: OpenedFile, is_header: HeaderTest
) -> tuple[Source, Iterator[tuple[int, Row]]]:
    """Sniff the file's kind and read it. Raises ImportRejected or NoHeader."""
    opened.rewind()
    head = opened.handle.read(8192)
    kind = sniff_kind(head)
    if kind == "xlsx":
        return read_xlsx(opened, is_header)
    return read_csv(opened, is_header)
