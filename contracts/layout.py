"""The contract register layout (``docs/formats/contract-register.md``): one row per contract
and supplier, the same columns for import and export.

Reading: ``read_sheets(path, mapping)`` gives each table of a CSV or XLSX file (every sheet
with a heading row; title rows skipped; headings matched through ``SYNONYMS`` or a saved
mapping), read by the spend reader with its guards; ``parse_row(line, cells)`` turns a row
into typed contract and supplier values or raises ``LayoutError`` naming the line and column.
Writing: ``layout_row(contract, supplier)`` gives the cells in column order; ``neutralise``
keeps a cell from being run as a spreadsheet formula.
The field checks (``clean_cpv``, ``portal.suppliers.clean_company_number``…) are shared with
the forms.
"""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from contracts.models import Category, Route
from portal.exports import FORMULA_PREFIXES, neutralise
from portal.locality import normalise_postcode
from portal.suppliers import clean_company_number
from spend.ingest import readers
from spend.ingest.errors import ImportRejected
from spend.ingest.layouts import normalise_header
from spend.ingest.readers import NoHeader, OpenedFile, open_rows, read_csv, sniff_kind

COLUMNS: tuple[str, ...] = (
    "Reference",
    "Title",
    "Description",
    "Department",
    "Category",
    "Procurement route",
    "CPV code",
    "Supplier name",
    "Supplier number",
    "Company number",
    "Charity number",
    "Supplier postcode",
    "SME",
    "VCFS",
    "Award date",
    "Start date",
    "End date",
    "Review date",
    "Awarded value",
    "VAT not recoverable",
    "Framework",
    "PPON",
)
# A cell in these columns must not be empty. Department and Award date are required too,
# but a council's register without those columns is read with the stand-ins of ``FALLBACKS``.
REQUIRED: frozenset[str] = frozenset(
    {
        "Reference",
        "Title",
        "Department",
        "Supplier name",
        "Award date",
        "Start date",
        "Awarded value",
    }
)
# Columns a file may lack, and what stands in for them (the import summary says so).
FALLBACKS: dict[str, str] = {
    "Department": "Not recorded",
    "Award date": "Start date",
    "Title": "Description",
}
# Contract-level columns: they repeat on each of a contract's rows and must agree.
CONTRACT_COLUMNS: tuple[str, ...] = (
    "Title",
    "Description",
    "Department",
    "Category",
    "Procurement route",
    "CPV code",
    "Award date",
    "Start date",
    "End date",
    "Review date",
    "Awarded value",
    "VAT not recoverable",
    "Framework",
)


class LayoutError(ValueError):
    """A file or row that breaks the layout; the message names the line and column."""


# --- Field checks (shared with the forms) ---------------------------------------------------

_CPV = re.compile(r"^(\d{8})(-\d)?$")


def clean_cpv(text: str) -> str:
    """An 8-digit CPV code; a trailing check digit ("85000000-0") is accepted and dropped."""
    value = text.strip()
    if not value:
        return ""
    match = _CPV.match(value)
    if not match:
        raise ValueError("a CPV code is 8 digits, like 85000000")
    return match.group(1)


def clean_postcode(text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    postcode = normalise_postcode(value)
    if not postcode:
        raise ValueError("this is not a UK postcode, like PR1 8XJ")
    return postcode


# The register's money columns hold up to 16 digits, 2 after the point.
MONEY_LIMIT = Decimal("100000000000000")


def clean_money(text: str, *, positive: bool) -> Decimal:
    value = re.sub(r"[\s,£]", "", text.strip())
    value = re.sub(r"(?i)(gbp|exvat|excvat|\(excvat\))$", "", value)
    # "£1.2m", "£250k": councils' shorthand, exact in pounds.
    scale = re.fullmatch(r"(?i)(\d+(?:\.\d+)?)(m|million|k)", value)
    if scale:
        factor = 1000 if scale.group(2).lower() == "k" else 1_000_000
        value = str(Decimal(scale.group(1)) * factor)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"'{text[:40]}' is not an amount in pounds, like 1250000.00") from None
    if not amount.is_finite():
        raise ValueError(f"'{text[:40]}' is not an amount in pounds")
    if abs(amount) >= MONEY_LIMIT:
        raise ValueError(f"'{text[:40]}' is more than the register can hold (under £100 trillion)")
    if positive and amount <= 0:
        raise ValueError("the value must be more than £0")
    if amount < 0:
        raise ValueError("the amount cannot be negative")
    return amount.quantize(Decimal("0.01"))


def clean_text(text: Any) -> str:
    """Text from a file or a form: HTML entities decoded (Contracts Finder's), line breaks and
    runs of spaces folded."""
    return re.sub(r"\s+", " ", html.unescape(str(text or ""))).strip()


# Dates as councils write them; a two-digit year is 20xx (registers hold no 1900s contracts
# that are still live).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d-%m-%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d %b %Y",
    "%d %B %Y",
    "%d %b %y",
    "%d %B %y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d-%B-%Y",
    "%Y/%m/%d",
)
EARLIEST_YEAR, LATEST_YEAR = 1980, 2100
# Excel's day 0 is 30 December 1899 (it counts 1900 as a leap year).
EXCEL_EPOCH = date(1899, 12, 30)
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)


def clean_date(text: str) -> date:
    value = _ORDINAL.sub("", " ".join(text.strip().split()))
    value = value.replace("Sept ", "Sep ").replace("sept ", "sep ")
    parsed: date | None = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", value):
        value = value[:10]  # a date-time cell: the date is what the register keeps
    if re.fullmatch(r"\d{5}(\.\d+)?", value):
        parsed = EXCEL_EPOCH + timedelta(days=int(float(value)))
    for pattern in DATE_FORMATS:
        if parsed is not None:
            break
        try:
            parsed = datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    if parsed is None:
        raise ValueError(
            f"'{text[:40]}' is not a date; write it as YYYY-MM-DD (2024-03-31), "
            "31/03/2024 or 31 Mar 2024"
        )
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise ValueError(
            f"'{text[:40]}' is {parsed:%-d %B %Y}, outside {EARLIEST_YEAR} to {LATEST_YEAR}; "
            "check the year"
        )
    return parsed


def clean_yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    if value in {"yes", "y", "true", "1", "sme", "vcse", "vcfs", "small", "medium", "micro"}:
        return True
    if value in {"no", "n", "false", "0", "large", "non-sme", "not sme"}:
        return False
    if value in {"", "unknown", "not known", "n/a", "-"}:
        return None
    # "Yes - small", "No (large)": the answer comes first.
    if re.match(r"^(yes|y)\b", value):
        return True
    if re.match(r"^(no|n)\b", value):
        return False
    raise ValueError(f"'{text[:40]}' is not Yes or No")


# Councils' words for the procurement routes (normalised: lower case, letters and digits).
ROUTE_WORDS: dict[str, str] = {
    "opentender": Route.OPEN,
    "openprocedure": Route.OPEN,
    "restrictedprocedure": Route.RESTRICTED,
    "restrictedtender": Route.RESTRICTED,
    "competitiveflexibleprocedure": Route.COMPETITIVE_FLEXIBLE,
    "directaward": Route.DIRECT_AWARD,
    "singletenderaction": Route.DIRECT_AWARD,
    "singlesource": Route.DIRECT_AWARD,
    "calloff": Route.CALL_OFF,
    "frameworkcalloff": Route.CALL_OFF,
    "calloffframework": Route.CALL_OFF,
    "minicompetition": Route.CALL_OFF,
    "furthercompetition": Route.CALL_OFF,
    "quotation": Route.QUOTATION,
    "quotations": Route.QUOTATION,
    "requestforquotation": Route.QUOTATION,
    "rfq": Route.QUOTATION,
    "psr": Route.PSR,
    "providerselectionregime": Route.PSR,
    "exemption": Route.WAIVER,
}


def clean_choice(text: str, choices: type[Category] | type[Route]) -> str:
    value = text.strip()
    if not value:
        return ""
    for choice in choices:
        if choice.value.casefold() == value.casefold():
            return str(choice.value)
    if choices is Route and (word := ROUTE_WORDS.get(re.sub(r"[^0-9a-z]+", "", value.lower()))):
        return str(word)
    allowed = ", ".join(str(c.value) for c in choices)
    raise ValueError(f"'{text[:60]}' is not one of: {allowed}")


def clean_lines(text: str) -> str:
    """Line breaks as one newline each: browsers send CRLF, workbooks keep LF only, so the
    register keeps LF and every file it writes reads back the same."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sentence(problem: Exception) -> str:
    """A check's message as a sentence for a form, first letter capital, full stop."""
    text = str(problem)
    return f"{text[:1].upper()}{text[1:]}."


def check_dates(start: date, end: date | None) -> None:
    if end is not None and end <= start:
        raise ValueError("the end date must be after the start date")


# Contract dates outside these years are slips ("0001-01-01") that would break award
# monitoring and the forward plan, not contracts.
CONTRACT_YEARS = (1950, 2100)


def check_contract_year(day: date) -> None:
    first, last = CONTRACT_YEARS
    if not first <= day.year <= last:
        raise ValueError(f"the year must be from {first} to {last}")


def check_award_date(award: date, end: date | None) -> None:
    if end is not None and award > end:
        raise ValueError("the award date must be on or before the end date")


# --- Reading --------------------------------------------------------------------------------

# Councils' headings for each column (compared normalised: lower case, letters and digits
# only, so "Contract Ref:" is "contractref"). The first heading of a file that matches a
# column is used; where a file has two candidates (an original and a current end date), the
# one earlier in this list wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "Reference": (
        "Reference",
        "Contract Ref",
        "Contract Reference",
        "Contract Reference Number",
        "Reference Number",
        "Contract ID",
        "Contract Number",
        "Contract No",
        "Ref",
        "Ref No",
        "Our Ref",
        "Unique Reference",
        "Contract Reference No",
        "Contract Ref No",
        "Reference No",
        "Contract Code",
        "Procurement Reference",
        "ID",
    ),
    "Title": (
        "Title",
        "Contract Title",
        "Contract Name",
        "Title of Contract",
        "Title of Agreement",
        "Name of Contract",
        "Subject",
        "Contract",
    ),
    "Description": (
        "Description",
        "Contract Description",
        "Description of Goods/Services",
        "Description of Goods and Services",
        "Summary",
        "Details",
        "Scope",
    ),
    "Department": (
        "Department",
        "Directorate",
        "Service",
        "Service Area",
        "Responsible Department",
        "Department/Directorate",
        "Directorate/Service",
        "Commissioning Department",
        "Business Unit",
        "Dept",
        "Department Responsible",
        "Service Area/Department",
        "Commissioning Service",
        "Portfolio",
        "Directorate/Department",
    ),
    "Category": ("Category", "Procurement Category", "Contract Category"),
    "Procurement route": (
        "Procurement route",
        "Procurement Procedure",
        "Procurement Method",
        "Route to Market",
        "Award Procedure",
        "Procedure",
        "Route",
    ),
    "CPV code": ("CPV code", "CPV", "CPV Codes", "CPV Code(s)", "Main CPV"),
    "Supplier name": (
        "Supplier name",
        "Supplier",
        "Contractor",
        "Contractor/Provider",
        "Provider",
        "Awarded Supplier",
        "Supplier Name(s)",
        "Name of Supplier",
        "Contractor Name",
        "Provider Name",
        "Vendor",
        "Vendor Name",
        "Awarded To",
        "Successful Supplier",
        "Supplier(s)",
        "Contractor(s)",
        "Provider(s)",
        "Supplier/Contractor",
        "Company Name",
    ),
    "Supplier number": (
        "Supplier number",
        "Supplier ID",
        "Supplier No",
        "Supplier Code",
        "Vendor Number",
        "Vendor ID",
    ),
    "Company number": (
        "Company number",
        "Company Registration Number",
        "Companies House Number",
        "Company Reg No",
        "Company No",
        "Registered Company Number",
        "CRN",
    ),
    "Charity number": (
        "Charity number",
        "Charity Registration Number",
        "Registered Charity Number",
        "Charity No",
    ),
    "Supplier postcode": (
        "Supplier postcode",
        "Postcode",
        "Post Code",
        "Supplier Post Code",
        "Supplier Address Postcode",
    ),
    "SME": ("SME", "SME Status", "SME (Y/N)", "Is the supplier an SME", "SME?"),
    "VCFS": ("VCFS", "VCSE", "VCS", "VCSE Status", "VCFS Status", "Voluntary Sector"),
    "Award date": (
        "Award date",
        "Date Awarded",
        "Contract Award Date",
        "Date of Award",
        "Awarded",
    ),
    "Start date": (
        "Start date",
        "Contract Start Date",
        "Original Start/Commencement Date",
        "Commencement Date",
        "Start/Commencement Date",
        "Original Start Date",
        "Start",
        "Contract Start",
        "Date From",
        "Effective Date",
    ),
    "End date": (
        "End date",
        "Current End Date",
        "Contract End Date",
        "End Date (including extensions)",
        "Expiry Date",
        "Contract Expiry Date",
        "Original End Date",
        "End",
        "Contract End",
        "Current Contract End Date",
        "Contract End Date (including extensions)",
        "Date To",
        "Expiry",
    ),
    "Review date": ("Review date", "Contract Review Date", "Date of Review"),
    "Awarded value": (
        "Awarded value",
        "Est Total Awarded Contract value £'s (exc VAT)",
        "Total Contract Value",
        "Contract Value",
        "Total Value",
        "Awarded Contract Value",
        "Estimated Total Value",
        "Estimated Contract Value",
        "Value",
        "Value (£)",
        "Contract Value (£)",
        "Total Value (£)",
        "Value £",
        "Whole Life Value",
        "Value of Contract",
        "Total Value of Contract",
        "Contract Value (Total)",
        "Value ex VAT",
        "Contract Value exc VAT",
        "Contract Value excluding VAT",
        "Total Value excluding VAT",
        "Total Contract Value exc VAT",
    ),
    "VAT not recoverable": (
        "VAT not recoverable",
        "Irrecoverable VAT",
        "Non-recoverable VAT",
        "VAT (not recoverable)",
    ),
    "Framework": ("Framework", "Framework Agreement", "Is this a Framework", "Framework (Y/N)"),
    "PPON": ("PPON", "Public Procurement Organisation Number"),
}


ORIGINAL_END = "Original end date"
# What a register writes for "there is none" or "not known".
NOT_GIVEN = frozenset(
    {
        "n/a",
        "na",
        "none",
        "-",
        "--",
        "tbc",
        "tba",
        "unknown",
        "not known",
        "not applicable",
        "not registered",
        "various",
        "variable",
        "call off",
        "call-off",
        "see notes",
        "nil",
    }
)


def normalise_heading(text: object) -> str:
    return normalise_header(text)


_SYNONYM_RANK: dict[str, tuple[str, int]] = {}
for _column, _names in SYNONYMS.items():
    for _rank, _name in enumerate(_names):
        _SYNONYM_RANK.setdefault(normalise_heading(_name), (_column, _rank))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    text = str(value)
    # A cell an export neutralised ("'=SUM") comes back as it was.
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


def header_columns(header: list[Any], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Which position holds each register column: a saved mapping (column → the file's
    heading) if given, else the synonym table."""
    headings = [normalise_heading(_cell_text(h)) for h in header]
    index: dict[str, int] = {}
    if mapping:
        for column, heading in mapping.items():
            wanted = normalise_heading(heading)
            if column in SYNONYMS and wanted and wanted in headings:
                index[column] = headings.index(wanted)
        return index
    best: dict[str, int] = {}
    for position, heading in enumerate(headings):
        found = _SYNONYM_RANK.get(heading)
        if found is None:
            continue
        column, rank = found
        if column not in index or rank < best[column]:
            index[column], best[column] = position, rank
    # A register with a current and an original end date: the original stands where the
    # current one is blank (the contract was never extended).
    original = normalise_heading("Original End Date")
    if original in headings and headings.index(original) != index.get("End date"):
        index[ORIGINAL_END] = headings.index(original)
    return index


def missing_columns(index: dict[str, int]) -> list[str]:
    """Required columns a header lacks, after the stand-ins of ``FALLBACKS``."""
    missing = []
    for column in COLUMNS:
        if column not in REQUIRED or column in index:
            continue
        stand_in = FALLBACKS.get(column)
        if stand_in == "Not recorded" or (stand_in and stand_in in index):
            continue
        missing.append(column)
    return missing


def _looks_like_header(mapping: dict[str, str] | None) -> Any:
    def test(row: Any) -> bool:
        index = header_columns(list(row), mapping)
        return len(index) >= 3 and not missing_columns(index)

    return test


@dataclass
class Sheet:
    """One table of register rows: a CSV file, or one sheet of a workbook."""

    name: str  # the sheet's name; "" for CSV
    header: list[str]
    columns: dict[str, int]
    rows: Iterator[tuple[int, list[Any]]]
    # Why a sheet was not read (no heading row): reported, never silently dropped.
    note: str = ""

    def place(self, line: int) -> str:
        return f"sheet '{self.name}', line {line}" if self.name else f"line {line}"


def _refuse(problem: Exception) -> LayoutError:
    """The spend reader's refusal as a register layout error (its message names the line)."""
    text = str(problem)
    return LayoutError(text[:1].lower() + text[1:].rstrip("."))


def file_headings(path: Path) -> list[str]:
    """The likeliest heading row of a file (for the column-mapping page)."""

    opened = OpenedFile(path)
    try:
        source, _rows = open_rows(opened, lambda r: sum(1 for c in r if str(c or "").strip()) >= 3)
    except (NoHeader, ImportRejected):
        return []
    finally:
        opened.close()
    return [_cell_text(c).strip() for c in source.header_cells if _cell_text(c).strip()]


def _no_header(first_rows: list[tuple[int, list[Any]]], name: str) -> LayoutError:
    where = f"sheet '{name}': " if name else ""
    for _line, row in first_rows:
        index = header_columns(row)
        if len(index) >= 2:
            names = ", ".join(f"'{m}'" for m in missing_columns(index))
            return LayoutError(
                f"{where}line {_line}: the heading row has no column {names}. Rename the "
                "heading, or map the columns on the import page."
            )
    return LayoutError(
        f"{where}no heading row with the register's columns (Reference, Title, Supplier name, "
        "Start date, Awarded value…) in the first 30 rows. Rename the headings, or map the "
        "columns on the import page."
    )


def read_sheets(path: Path, mapping: dict[str, str] | None = None) -> Iterator[Sheet]:
    """Each table of register rows in a file: CSV, or every sheet of an XLSX workbook that
    has a heading row. Title rows above the heading are skipped. The spend reader does the
    reading: encoding, delimiter, field size, and for workbooks the zip, row and column
    guards, read-only."""

    is_header = _looks_like_header(mapping)
    opened = OpenedFile(path)
    try:
        try:
            kind = sniff_kind(opened.handle.read(8192))
        except ImportRejected as problem:
            raise _refuse(problem) from None
        if kind == "xlsx":
            yield from _xlsx_sheets(opened, is_header, mapping)
            return
        try:
            source, rows = read_csv(opened, is_header)
        except NoHeader as problem:
            raise _no_header(problem.first_rows, "") from None
        except ImportRejected as problem:
            raise _refuse(problem) from None
        yield Sheet(
            "",
            [_cell_text(h) for h in source.header_cells],
            header_columns(source.header_cells, mapping),
            _guarded(rows),
        )
    finally:
        opened.close()


def _guarded(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    try:
        yield from rows
    except ImportRejected as problem:
        raise _refuse(problem) from None


def _xlsx_sheets(opened: Any, is_header: Any, mapping: dict[str, str] | None) -> Iterator[Sheet]:
    import openpyxl  # noqa: PLC0415  (only spreadsheet registers need openpyxl)

    opened.rewind()
    try:
        readers.check_zip_safety(opened.handle)
    except ImportRejected as problem:
        raise _refuse(problem) from None
    opened.rewind()
    try:
        book = openpyxl.load_workbook(
            opened.handle, read_only=True, data_only=True, keep_links=False
        )
    except Exception as problem:  # openpyxl raises many kinds for a damaged file
        raise LayoutError(
            f"the workbook cannot be opened ({problem.__class__.__name__}); open it in Excel, "
            "save it as .xlsx again and import that."
        ) from None
    try:
        found = False
        first_rows: list[tuple[int, list[Any]]] = []
        for sheet in book.worksheets:
            for size, limit, what in (
                (getattr(sheet, "max_row", None), readers.XLSX_MAX_ROWS, "rows"),
                (getattr(sheet, "max_column", None), readers.XLSX_MAX_COLUMNS, "columns"),
            ):
                if size is not None and size > limit:
                    raise LayoutError(
                        f"sheet '{sheet.title}' has {size:,} {what}, more than the {limit:,} "
                        "allowed; delete the unused ones, or split the register."
                    )
            rows = _guarded(readers._xlsx_rows(sheet))
            header = readers._find_header(rows, is_header)
            if header is None:
                sample = readers._first_rows(_guarded(readers._xlsx_rows(sheet)))
                first_rows = first_rows or sample
                if any(str(c or "").strip() for _, row in sample for c in row):
                    yield Sheet(
                        sheet.title,
                        [],
                        {},
                        iter(()),
                        note=f"sheet '{sheet.title}': not read, it has no heading row with "
                        "the register's columns",
                    )
                continue
            found = True
            yield Sheet(
                sheet.title,
                [_cell_text(h) for h in header.cells],
                header_columns(header.cells, mapping),
                header.rest,
            )
        if not found:
            raise _no_header(first_rows, "")
    finally:
        book.close()


# Names a notice or register puts where the supplier goes when there is none to name.
PSEUDO_SUPPLIER = re.compile(
    r"^(contract not awarded|not awarded|no award|no supplier|multiple suppliers\b.*|"
    r"various( suppliers)?|tbc|tba|to be confirmed|to be agreed|n/?a\b.*|none|see attached.*|"
    r"see (list|spreadsheet|schedule).*|abandoned|tender abandoned|date now passed.*|"
    r"unknown|not known|-+|\?+)$",
    re.IGNORECASE,
)


def is_pseudo_supplier(name: str) -> bool:
    return bool(PSEUDO_SUPPLIER.match(" ".join(name.split()).strip(" .")))


@dataclass
class ParsedRow:
    line: int
    reference: str
    contract: dict[str, Any]
    supplier: dict[str, Any]
    # Where the row is, for messages: "line 4" or "sheet 'Lot 2', line 4".
    place: str = ""
    # Set when the row has no real supplier: what an officer must complete.
    attention: str = ""
    # Stand-ins used for columns the file lacks ("Award date": "Start date").
    stand_ins: tuple[str, ...] = ()
    # (column, value) of a council's own category or route, left blank in the register.
    unmatched: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        self.place = self.place or f"line {self.line}"


def parse_row(line: int, cells: dict[str, str], place: str = "") -> ParsedRow:
    place = place or f"line {line}"

    def text(column: str) -> str:
        return cells.get(column, "").strip()

    def field(column: str, clean: Any, *args: Any, **kwargs: Any) -> Any:
        value = cells.get(column, "")
        if column in REQUIRED and not value.strip():
            raise LayoutError(f"{place}, column '{column}': this column must not be empty.")
        try:
            return clean(value, *args, **kwargs)
        except ValueError as problem:
            raise LayoutError(f"{place}, column '{column}': {problem}.") from None

    def optional_date(column: str) -> date | None:
        # "Ongoing" and the like: the register records no end date rather than a guess.
        if text(column).lower() in {"", "ongoing", "rolling", "n/a", "na", "tbc", "-"}:
            return None
        return field(column, clean_date)

    def optional(column: str, clean: Any, *args: Any) -> Any:
        # "N/A" or "None" for a number the supplier has not got: blank, not an error.
        if text(column).lower() in NOT_GIVEN:
            return clean("", *args)
        return field(column, clean, *args)

    def vocabulary(column: str, choices: Any) -> str:
        # A council's own categories and routes ("Services", "Framework"): kept out of the
        # register's lists, said in the import summary, never refused or guessed.
        try:
            return str(clean_choice(cells.get(column, ""), choices))
        except ValueError:
            unmatched.append((column, text(column)[:60]))
            return ""

    stand_ins: list[str] = []
    unmatched: list[tuple[str, str]] = []
    attention: list[str] = []
    if not text("End date") and text(ORIGINAL_END):
        cells = {**cells, "End date": text(ORIGINAL_END)}
    if "Title" not in cells and text("Description"):
        cells = {**cells, "Title": text("Description").splitlines()[0]}
        stand_ins.append("Title")
    if "Department" not in cells:
        cells = {**cells, "Department": FALLBACKS["Department"]}
        stand_ins.append("Department")
    if "Award date" not in cells and text("Start date"):
        cells = {**cells, "Award date": text("Start date")}
        stand_ins.append("Award date")

    for column in ("Reference", "Title", "Department"):
        field(column, str)
    value_text = text("Awarded value")
    no_value = value_text.lower() in NOT_GIVEN or not value_text
    if no_value:
        # No figure in the file: a draft with £0 for an officer to complete, not a refusal.
        attention.append(f"The file gives no awarded value ('{value_text or 'blank'}').")
        cells = {**cells, "Awarded value": "0"}
    for column, limit in (
        ("Reference", 64),
        ("Title", 500),
        ("Department", 200),
        ("Supplier name", 300),
        ("Supplier number", 50),
        ("Charity number", 20),
        ("PPON", 20),
    ):
        if len(text(column)) > limit:
            raise LayoutError(
                f"{place}, column '{column}': '{text(column)[:40]}…' is {len(text(column))} "
                f"characters; the register keeps at most {limit}."
            )
    contract = {
        "title": text("Title")[:500],
        "description": clean_lines(cells.get("Description", "")).strip(),
        "department": text("Department")[:200],
        "category": vocabulary("Category", Category),
        "procurement_route": vocabulary("Procurement route", Route),
        "cpv_code": optional("CPV code", clean_cpv_first),
        "award_date": field("Award date", clean_date),
        "start_date": field("Start date", clean_date),
        "end_date": optional_date("End date"),
        "review_date": optional_date("Review date"),
        "awarded_value": field("Awarded value", clean_money, positive=not no_value),
        "vat_not_recoverable": (
            field("VAT not recoverable", clean_money, positive=False)
            if text("VAT not recoverable")
            else Decimal("0.00")
        ),
        "framework": bool(field("Framework", clean_yes_no)),
    }
    try:
        check_dates(contract["start_date"], contract["end_date"])
    except ValueError as problem:
        raise LayoutError(f"{place}, column 'End date': {problem}.") from None
    name = " ".join(text("Supplier name").split())[:300]
    if not name or is_pseudo_supplier(name):
        attention.append(f"The file names no supplier ('{name or 'blank'}').")
    if attention:
        attention.append("Complete the contract, then register it.")
    supplier = {
        "name": name,
        "supplier_number": text("Supplier number")[:50],
        "company_number": optional("Company number", clean_company_number),
        "charity_number": ""
        if text("Charity number").lower() in NOT_GIVEN
        else text("Charity number")[:20],
        "postcode": optional("Supplier postcode", clean_postcode),
        "sme": field("SME", clean_yes_no),
        "vcfs": field("VCFS", clean_yes_no),
        "ppon": text("PPON")[:20],
    }
    return ParsedRow(
        line,
        text("Reference"),
        contract,
        supplier,
        place=place,
        attention=" ".join(attention),
        stand_ins=tuple(stand_ins),
        unmatched=tuple(unmatched),
    )


def clean_cpv_first(text: str) -> str:
    """The first CPV code of a cell that may list several ("85000000-9; 85310000-5")."""
    first = re.split(r"[;,/\s]+", text.strip(), maxsplit=1)[0] if text.strip() else ""
    return clean_cpv(first)


# --- Writing --------------------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


def layout_row(contract: Any, supplier: Any) -> list[Any]:
    """The cells of one register row, in column order, typed (dates, Decimals)."""
    return [
        contract.reference,
        contract.title,
        contract.description,
        contract.department,
        contract.category,
        contract.procurement_route,
        contract.cpv_code,
        supplier.name,
        supplier.supplier_number,
        supplier.company_number,
        supplier.charity_number,
        supplier.postcode,
        _yes_no(supplier.sme),
        _yes_no(supplier.vcfs),
        contract.award_date,
        contract.start_date,
        contract.end_date,
        contract.review_date,
        contract.awarded_value,
        contract.vat_not_recoverable,
        _yes_no(contract.framework),
        supplier.ppon,
    ]


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value))
