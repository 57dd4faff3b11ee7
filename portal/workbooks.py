"""Checks on an uploaded XLSX workbook before openpyxl reads it, for every app that reads one.

openpyxl builds each ``<row>`` element whole before it hands the row over, even in read-only
mode, so a 1 MB file holding one row of 3 million cells takes a gigabyte and more. The sheets'
XML is therefore scanned first, as a byte stream (memory stays flat), counting rows and the
cells in each row; a workbook beyond the caller's limits is refused before it is parsed.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO

# Excel's own limits: a real workbook never has more cells in a row than this.
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_ROWS = 1_048_576
_SCAN_BYTES = 4 * 1024 * 1024
# A cell, a row, or the end of a row, with or without a namespace prefix ("<x:c ").
_TOKENS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|row)[\s/>]|</(?:[A-Za-z_][\w.-]*:)?row>")


class WorkbookRefused(Exception):
    """The workbook is beyond the limits; ``str(error)`` says what and what to do."""


@dataclass(frozen=True)
class WorkbookLimits:
    max_rows: int = EXCEL_MAX_ROWS
    max_cells_per_row: int = EXCEL_MAX_COLUMNS
    max_cells: int = 50_000_000
    max_uncompressed_bytes: int = 2 * 1024**3
    max_ratio: int = 100  # a spreadsheet compresses 5-30 times; zip bombs 1000+
    ratio_floor_bytes: int = 10 * 1024**2  # small parts may compress as they like
    max_members: int = 10_000


@dataclass(frozen=True)
class SheetShape:
    part: str
    rows: int
    cells: int
    widest_row: int  # cells in the fullest row


def sheet_shape(archive: zipfile.ZipFile, part: str, limits: WorkbookLimits) -> SheetShape:
    """Rows and cells of one worksheet part, read as bytes; stops at the first limit passed."""
    rows = cells = widest = in_row = 0
    carry = b""
    with archive.open(part) as stream:
        while True:
            block = stream.read(_SCAN_BYTES)
            data = carry + block
            # A token may be cut at the block's end: keep from the last "<" for the next block,
            # unless that "<" is too far back to start a token that is cut.
            last = data.rfind(b"<")
            end = len(data) if not block or last < 0 or len(data) - last > 64 else last
            for token in _TOKENS.finditer(data, 0, end):
                name = token.group(1)
                if name == b"c":
                    in_row += 1
                    if in_row > limits.max_cells_per_row:
                        return SheetShape(part, rows, cells + in_row, in_row)
                elif name == b"row":
                    in_row = 0
                    rows += 1
                else:  # </row>
                    cells += in_row
                    widest = max(widest, in_row)
                    in_row = 0
                if rows > limits.max_rows or cells > limits.max_cells:
                    return SheetShape(part, rows, cells, widest)
            carry = data[end:]
            if not block:
                break
    return SheetShape(part, rows, cells + in_row, max(widest, in_row))


def check_workbook(handle: IO[bytes], limits: WorkbookLimits, what: str = "workbook") -> None:
    """Refuse a workbook that would unpack to too much or hold too many rows or cells.

    Raises :class:`WorkbookRefused`; leaves ``handle`` where it was read to (rewind it).
    """
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            _check_members(members, limits, what)
            for member in members:
                if member.filename.startswith("xl/worksheets/") and member.filename.endswith(
                    ".xml"
                ):
                    _check_shape(sheet_shape(archive, member.filename, limits), limits, what)
    except zipfile.BadZipFile:
        raise WorkbookRefused(
            f"The {what} looks like an XLSX workbook but is damaged. "
            "Open it in Excel, save it again and upload it."
        ) from None


def _check_members(members: list[zipfile.ZipInfo], limits: WorkbookLimits, what: str) -> None:
    if len(members) > limits.max_members:
        raise WorkbookRefused(f"The {what} has too many parts ({len(members):,}) to be read.")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise WorkbookRefused(
            f"The {what} would unpack to {total // 1024**2:,} MB, more than the "
            f"{limits.max_uncompressed_bytes // 1024**2:,} MB allowed. Split it into smaller "
            "files, or save it as CSV."
        )
    for member in members:
        ratio = member.file_size // max(member.compress_size, 1)
        if member.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise WorkbookRefused(
                f"The {what} part {member.filename} is compressed {ratio:,} times, far more "
                "than a real spreadsheet. The file is refused as unsafe (a possible zip bomb)."
            )


def _check_shape(shape: SheetShape, limits: WorkbookLimits, what: str) -> None:
    sheet = shape.part.rsplit("/", 1)[-1].removesuffix(".xml")
    if shape.widest_row > limits.max_cells_per_row:
        raise WorkbookRefused(
            f"The {what}'s {sheet} has a row of more than {limits.max_cells_per_row:,} cells "
            f"(after about {shape.rows:,} rows), more than a spreadsheet holds. Delete the "
            "unused columns (or copy the data to a new workbook), save it and upload it again."
        )
    if shape.rows > limits.max_rows:
        raise WorkbookRefused(
            f"The {what}'s {sheet} has more than {limits.max_rows:,} rows. Split it into "
            "smaller files (or delete the empty rows at its end) and upload it again."
        )
    if shape.cells > limits.max_cells:
        raise WorkbookRefused(
            f"The {what}'s {sheet} has more than {limits.max_cells:,} cells. Split the data "
            "into smaller files and upload them one by one."
        )
