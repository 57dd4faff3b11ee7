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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import IO, Any

from portal.workbooks import WorkbookLimits, WorkbookRefused, check_workbook
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
# How well a row reads as the header row: 0 (or falsy) for not at all, higher for better. The
# best row within the first HEADER_SEARCH_ROWS is the header (the earliest of equals), so a
# row of report field names above the real header does not take its place.
HeaderTest = Callable[[Sequence[object]], float | bool]


# A header test's rank from here up means a complete header (every required column).
COMPLETE_HEADER_RANK = 1000


class SheetHeader(list[Any]):
    """The header row of a later sheet of a workbook, in the row stream: the parser takes
    its columns from here on (each sheet's header is found on its own)."""

    def __init__(
        self,
        title: str,
        cells: Sequence[Any],
        joined: bool = False,
        above: list[tuple[int, Row]] | None = None,
    ) -> None:
        super().__init__(cells)
        self.title = title
        self.joined = joined
        self.above = above or []


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
    # Sheets of a workbook not read as spend, with why; filled in as the rows are read
    # (a later sheet is looked at when the stream reaches it).
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)
    # The header was two rows joined cell by cell ("Net" over "Amount").
    header_joined: bool = False
    # The header was found below the first rows (a file sorted with its header among the
    # data, as Hyndburn's often are): every other row is read with it.
    header_not_at_top: bool = False
    rows_above: list[tuple[int, Row]] = field(default_factory=list)


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


def _rank(is_header: HeaderTest, row: Sequence[object]) -> float:
    if not row or not any(c not in (None, "") for c in row):
        return 0.0
    value = is_header(row)
    return float(value) if value else 0.0


def _joined(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    """Two header rows read as one: ``Net`` over ``Amount`` is ``Net Amount``."""
    width = max(len(upper), len(lower))
    cells = []
    for i in range(width):
        top = str(upper[i]).strip() if i < len(upper) and upper[i] is not None else ""
        bottom = str(lower[i]).strip() if i < len(lower) and lower[i] is not None else ""
        cells.append(f"{top} {bottom}".strip())
    return cells


@dataclass
class FoundHeader:
    line: int
    cells: list[Any]
    rest: Iterator[tuple[int, Row]]  # the data rows after it
    joined: bool = False
    # The rows above it (titles, a template's field names, or data of a sorted file): the
    # parser keeps those that read as payments with this header.
    above: list[tuple[int, Row]] = field(default_factory=list)


def _find_header(rows: Iterator[tuple[int, Row]], is_header: HeaderTest) -> FoundHeader | None:
    """The header within the first rows (a two-row header joined), or None: the first
    complete one (a later one is a second table's), else the best near miss.

    The rows looked at are kept, and the ones after the header come back first in ``rest``.
    """
    first = _first_rows(rows)
    ranks = [_rank(is_header, row) for _line, row in first]
    best, best_rank, joined = -1, 0.0, False
    for i, rank in enumerate(ranks):
        if rank > best_rank:
            best, best_rank, joined = i, rank, False
        if i + 1 < len(first) and first[i][1] and first[i + 1][1]:
            pair = _rank(is_header, _joined(first[i][1], first[i + 1][1]))
            if pair > max(rank, ranks[i + 1], best_rank):
                best, best_rank, joined = i, pair, True
        if best_rank >= COMPLETE_HEADER_RANK:
            break
    if best < 0:
        return None
    line, cells = first[best]
    after = best + 2 if joined else best + 1
    if joined:
        cells = _joined(cells, first[best + 1][1])
    return FoundHeader(line, list(cells), chain(first[after:], rows), joined, first[:best])


def _first_rows(rows: Iterator[tuple[int, Row]]) -> list[tuple[int, Row]]:
    return list(islice(rows, HEADER_SEARCH_ROWS))  # islice: the row after them stays unread


class NoHeader(Exception):
    """No row in the first rows is recognised; carries those rows to explain why."""

    def __init__(self, first_rows: list[tuple[int, Row]]) -> None:
        super().__init__("no header row")
        self.first_rows = first_rows


# How far down a file with no header in its first rows is searched for one (a sorted file).
LATE_HEADER_SEARCH_ROWS = 1_000_000


def _late_header(rows: Iterable[tuple[int, Row]], is_header: HeaderTest) -> tuple[int, Row] | None:
    for count, (line, row) in enumerate(rows):
        if count >= LATE_HEADER_SEARCH_ROWS:
            return None
        if _rank(is_header, row):
            return line, row
    return None


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
        late = _csv_late_header(opened, encoding, delimiter, is_header)
        if late is None:
            raise NoHeader(first)
        return _read_csv_with_late_header(opened, encoding, delimiter, late)

    opened.rewind()
    stream = text_stream(opened.handle, encoding)
    reader = csv.reader(stream, delimiter=delimiter)
    rows = _rows_with_lines(reader)
    try:
        found = _find_header(rows, is_header)
    except csv.Error as error:  # within the rows read ahead for the header
        stream.detach()
        raise csv_unreadable(error, reader.line_num) from None
    assert found is not None  # the sample had it
    source = Source(
        "csv",
        encoding,
        delimiter,
        "",
        found.line,
        found.cells,
        header_joined=found.joined,
        rows_above=found.above,
    )
    return source, _guard_csv_errors(found.rest, reader, stream)


def _csv_late_header(
    opened: OpenedFile, encoding: str, delimiter: str, is_header: HeaderTest
) -> tuple[int, Row] | None:
    """A header row below the first rows (the file was sorted with it), or None."""
    opened.rewind()
    stream = text_stream(opened.handle, encoding)
    try:
        return _late_header(_rows_with_lines(csv.reader(stream, delimiter=delimiter)), is_header)
    except csv.Error:
        return None
    finally:
        stream.detach()


def _read_csv_with_late_header(
    opened: OpenedFile, encoding: str, delimiter: str, late: tuple[int, Row]
) -> tuple[Source, Iterator[tuple[int, Row]]]:
    """Every row but the header, read with the header found further down."""
    header_line, header_cells = late
    opened.rewind()
    stream = text_stream(opened.handle, encoding)
    reader = csv.reader(stream, delimiter=delimiter)
    rows = (item for item in _rows_with_lines(reader) if item[0] != header_line)
    source = Source(
        "csv", encoding, delimiter, "", header_line, header_cells, header_not_at_top=True
    )
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
    import openpyxl  # imported here: CSV-only users do not pay for it  # noqa: PLC0415  (CSV-only imports do not load openpyxl)

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
    skipped: list[tuple[str, str]] = []
    sheets = list(workbook.worksheets)
    for index, sheet in enumerate(sheets):
        _check_sheet_size(sheet, workbook)
        found = _find_header(_xlsx_rows(sheet), is_header)
        if found is not None:
            source = Source(
                "xlsx",
                "xlsx",
                "",
                sheet.title,
                found.line,
                found.cells,
                skipped,
                found.joined,
                rows_above=found.above,
            )
            rows = chain(
                found.rest, _later_sheets(sheets[index + 1 :], workbook, is_header, skipped)
            )
            return source, _closing(rows, workbook)
        skipped.append((sheet.title, _why_not_spend(sheet)))
        if not first_rows:
            first_rows = _first_rows(_xlsx_rows(sheet))
    workbook.close()
    raise NoHeader(first_rows)


def _check_sheet_size(sheet: Any, workbook: Any) -> None:
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


def _why_not_spend(sheet: Any) -> str:
    if not any(
        any(c not in (None, "") for c in row) for _line, row in _first_rows(_xlsx_rows(sheet))
    ):
        return "it is empty"
    return (
        f"no row in its first {HEADER_SEARCH_ROWS} rows is a spend header "
        "(a cover sheet, notes or a pivot table)"
    )


def _later_sheets(
    sheets: list[Any], workbook: Any, is_header: HeaderTest, skipped: list[tuple[str, str]]
) -> Iterator[tuple[int, Row]]:
    """The rows of every later sheet: each sheet's own header (as a SheetHeader) then its
    data; a sheet with no header is noted in ``skipped``, not read."""
    for sheet in sheets:
        _check_sheet_size(sheet, workbook)
        found = _find_header(_xlsx_rows(sheet), is_header)
        if found is None:
            skipped.append((sheet.title, _why_not_spend(sheet)))
            continue
        yield found.line, SheetHeader(sheet.title, found.cells, found.joined, found.above)
        yield from found.rest


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
