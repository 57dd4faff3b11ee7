"""The contract register layout (``formats/contract-register.md``): one row per contract and
supplier, the same columns for import and export.

Reading: ``read_rows(path)`` yields ``(line, {column: text})`` from CSV or XLSX;
``parse_row(line, cells)`` turns one into typed contract and supplier values or raises
``LayoutError`` naming the line and column. Writing: ``layout_row(contract, supplier)`` gives
the cells in column order; ``neutralise`` keeps a cell from being run as a spreadsheet formula.
The field checks (``clean_cpv``, ``clean_company_number``…) are shared with the forms.
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from contracts.models import Category, Route
from portal.locality import normalise_postcode

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
)
REQUIRED: frozenset[str] = frozenset(
    {
        "Reference",
        "Title",
        "Department",
        "Supplier name",
        "Award date",
        "Start date",
        "End date",
        "Awarded value",
    }
)
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

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class LayoutError(ValueError):
    """A file or row that breaks the layout; the message names the line and column."""


# --- Field checks (shared with the forms) ---------------------------------------------------

_CPV = re.compile(r"^(\d{8})(-\d)?$")
_COMPANY = re.compile(r"^(\d{8}|[A-Z]{2}\d{6}|[A-Z]{2}\d{5}[A-Z])$")


def clean_cpv(text: str) -> str:
    """An 8-digit CPV code; a trailing check digit ("85000000-0") is accepted and dropped."""
    value = text.strip()
    if not value:
        return ""
    match = _CPV.match(value)
    if not match:
        raise ValueError("a CPV code is 8 digits, like 85000000")
    return match.group(1)


def clean_company_number(text: str) -> str:
    """A Companies House number: 8 digits (leading zeros restored) or 2 letters and 6 digits."""
    value = re.sub(r"\s+", "", text).upper()
    if not value:
        return ""
    if value.isdigit() and len(value) < 8:
        value = value.zfill(8)
    if not _COMPANY.match(value):
        raise ValueError(
            "a company number is 8 characters: 8 digits, or 2 letters and 6 digits (SC123456)"
        )
    return value


def clean_postcode(text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    postcode = normalise_postcode(value)
    if not postcode:
        raise ValueError("this is not a UK postcode, like PR1 8XJ")
    return postcode


def clean_money(text: str, *, positive: bool) -> Decimal:
    value = text.strip().replace(",", "").replace("£", "")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount in pounds, like 1250000.00") from None
    if not amount.is_finite():
        raise ValueError(f"'{text}' is not an amount in pounds")
    if positive and amount <= 0:
        raise ValueError("the value must be more than £0")
    if amount < 0:
        raise ValueError("the amount cannot be negative")
    return amount.quantize(Decimal("0.01"))


def clean_date(text: str) -> date:
    value = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date; write it as YYYY-MM-DD, like 2024-03-31")


def clean_yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    if value in {"yes", "y", "true", "1"}:
        return True
    if value in {"no", "n", "false", "0"}:
        return False
    if value == "":
        return None
    raise ValueError(f"'{text}' is not Yes or No")


def clean_choice(text: str, choices: type[Category] | type[Route]) -> str:
    value = text.strip()
    if not value:
        return ""
    for choice in choices:
        if choice.value.casefold() == value.casefold():
            return str(choice.value)
    allowed = ", ".join(str(c.value) for c in choices)
    raise ValueError(f"'{text}' is not one of: {allowed}")


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


def _header_index(header: list[str]) -> dict[str, int]:
    wanted = {column.casefold(): column for column in COLUMNS}
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        column = wanted.get(str(name or "").strip().casefold())
        if column and column not in index:
            index[column] = position
    missing = [column for column in COLUMNS if column in REQUIRED and column not in index]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        raise LayoutError(f"line 1: the heading row has no column {names}.")
    return index


def _raw_rows(path: Path) -> Iterator[list[Any]]:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as problem:
            raise LayoutError(f"the file is not a readable XLSX workbook ({problem}).") from None
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield list(values)
        finally:
            book.close()
        return
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    yield from csv.reader(text.splitlines())


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row as ``(line number, {column: text})``; blank rows are skipped."""
    rows = _raw_rows(path)
    header = next(rows, None)
    if header is None:
        raise LayoutError("line 1: the file is empty; it needs the heading row.")
    index = _header_index([_cell_text(h) for h in header])
    for line, values in enumerate(rows, start=2):
        cells = {
            column: _cell_text(values[position]) if position < len(values) else ""
            for column, position in index.items()
        }
        if not any(v.strip() for v in cells.values()):
            continue
        yield line, cells


@dataclass
class ParsedRow:
    line: int
    reference: str
    contract: dict[str, Any]
    supplier: dict[str, Any]


def parse_row(line: int, cells: dict[str, str]) -> ParsedRow:
    def text(column: str) -> str:
        return cells.get(column, "").strip()

    def field(column: str, clean: Any, *args: Any, **kwargs: Any) -> Any:
        value = cells.get(column, "")
        if column in REQUIRED and not value.strip():
            raise LayoutError(f"line {line}, column '{column}': this column must not be empty.")
        try:
            return clean(value, *args, **kwargs)
        except ValueError as problem:
            raise LayoutError(f"line {line}, column '{column}': {problem}.") from None

    def optional_date(column: str) -> date | None:
        return field(column, clean_date) if text(column) else None

    for column in ("Reference", "Title", "Department", "Supplier name"):
        field(column, str)
    contract = {
        "title": text("Title")[:500],
        "description": text("Description"),
        "department": text("Department")[:200],
        "category": field("Category", clean_choice, Category),
        "procurement_route": field("Procurement route", clean_choice, Route),
        "cpv_code": field("CPV code", clean_cpv),
        "award_date": field("Award date", clean_date),
        "start_date": field("Start date", clean_date),
        "end_date": field("End date", clean_date),
        "review_date": optional_date("Review date"),
        "awarded_value": field("Awarded value", clean_money, positive=True),
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
        raise LayoutError(f"line {line}, column 'End date': {problem}.") from None
    supplier = {
        "name": " ".join(text("Supplier name").split())[:300],
        "supplier_number": text("Supplier number")[:50],
        "company_number": field("Company number", clean_company_number),
        "charity_number": text("Charity number")[:20],
        "postcode": field("Supplier postcode", clean_postcode),
        "sme": field("SME", clean_yes_no),
        "vcfs": field("VCFS", clean_yes_no),
    }
    return ParsedRow(line, text("Reference")[:64], contract, supplier)


# --- Writing --------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    A lone "-" (the placeholder for "no figure") is left alone: it cannot be a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and value != "-":
        return "'" + value
    return value


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
    ]


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value))
