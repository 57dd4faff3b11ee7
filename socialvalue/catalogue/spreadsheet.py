"""The catalogue as a spreadsheet: one row per measure and proxy year, for export and import.

A council keeps its own catalogue (for instance its TOMs-style measures, under whatever
licence it holds them) in a workbook with a sheet named ``Measures`` (or, failing that, the
first sheet) and these headings in row 1, in any order:

    Theme code, Theme, Mission, Outcome code, Outcome, Measure code, Measure, Unit,
    Description, Proxy value (£ per unit), Valid from (financial year), Proxy basis

A measure whose proxy changes has one row per valid-from year. ``read_catalogue`` checks the
whole sheet and raises ``CatalogueRefused`` listing each problem by sheet, row and column;
nothing here touches the database.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from portal.exports import neutralise

SHEET = "Measures"
COLUMNS: tuple[str, ...] = (
    "Theme code",
    "Theme",
    "Mission",
    "Outcome code",
    "Outcome",
    "Measure code",
    "Measure",
    "Unit",
    "Description",
    "Proxy value (£ per unit)",
    "Valid from (financial year)",
    "Proxy basis",
)
REQUIRED = frozenset(
    {
        "Theme code",
        "Theme",
        "Outcome code",
        "Outcome",
        "Measure code",
        "Measure",
        "Unit",
        "Proxy value (£ per unit)",
        "Valid from (financial year)",
    }
)
# Headings people commonly type instead, mapped to ours (lower-cased, spaces collapsed).
ALIASES = {
    "proxy value": "Proxy value (£ per unit)",
    "proxy": "Proxy value (£ per unit)",
    "proxy value (£)": "Proxy value (£ per unit)",
    "valid from": "Valid from (financial year)",
    "valid from fy": "Valid from (financial year)",
    "measure title": "Measure",
    "theme title": "Theme",
    "outcome title": "Outcome",
}
MAX_ERRORS = 20
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,19}$")
_YEAR = re.compile(r"^(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?$")


class CatalogueRefused(ValueError):
    """The sheet breaks the layout. ``problems`` name the sheet, row and column of each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class SheetTheme:
    code: str
    title: str
    mission: str = ""


@dataclass
class SheetOutcome:
    code: str
    theme_code: str
    title: str


@dataclass
class SheetMeasure:
    code: str
    outcome_code: str
    title: str
    unit: str
    description: str = ""
    proxies: dict[int, tuple[Decimal, str]] = field(default_factory=dict)


@dataclass
class CatalogueSheet:
    themes: dict[str, SheetTheme] = field(default_factory=dict)
    outcomes: dict[str, SheetOutcome] = field(default_factory=dict)
    measures: dict[str, SheetMeasure] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogueRow:
    theme_code: str
    theme: str
    mission: str
    outcome_code: str
    outcome: str
    measure_code: str
    measure: str
    unit: str
    description: str
    proxy_value: Decimal | None
    valid_from_fy: int | None
    proxy_basis: str


def write_catalogue(rows: Iterable[CatalogueRow]) -> bytes:
    """A workbook with a ``Read me`` sheet and the ``Measures`` sheet."""
    # openpyxl on first use: every process imports this module at start (decision 0009)
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    book = Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "Read me"
    for line in (
        "Social value measures catalogue",
        "One row per measure and proxy year on the Measures sheet. To change a proxy value "
        "from a later year, add a row with the same measure code and the new Valid from year.",
        "Valid from is the financial year's starting year: 2024 means 2024/25 (1 April 2024 "
        "to 31 March 2025). Proxy values are £ per unit, with at most two decimal places.",
        "Importing adds new themes, outcomes and measures and updates existing ones by code; "
        "it never deletes. Keep the headings in row 1.",
    ):
        readme.append([line])
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 120
    sheet = book.create_sheet(SHEET)
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                neutralise(row.theme_code),
                neutralise(row.theme),
                neutralise(row.mission),
                neutralise(row.outcome_code),
                neutralise(row.outcome),
                neutralise(row.measure_code),
                neutralise(row.measure),
                neutralise(row.unit),
                neutralise(row.description),
                row.proxy_value,
                row.valid_from_fy,
                neutralise(row.proxy_basis),
            ]
        )
        sheet.cell(sheet.max_row, 10).number_format = "0.00"
    widths = (10, 30, 30, 12, 30, 12, 45, 16, 50, 14, 14, 50)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    # An exported cell neutralised with an apostrophe comes back as text starting with one.
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text


def _money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("is not an amount")
    if isinstance(value, int | float):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = _text(value).replace("£", "").replace(",", "").strip()
        if not text:
            raise ValueError("is blank; give the £ value of one unit, e.g. 12.50")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"'{_text(value)}' is not an amount of money, e.g. 12.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"'{_text(value)}' must be zero or more")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"'{_text(value)}' has more than two decimal places")
    if amount >= Decimal("10000000000"):
        raise ValueError(f"'{_text(value)}' is too large")
    return amount.quantize(Decimal("0.01"))


def _year(value: Any) -> int:
    text = _text(value)
    match = _YEAR.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a financial year; write 2024 or 2024/25")
    start = int(match.group(1))
    if match.group(2):
        end = int(match.group(2))
        if end != (start + 1) % (100 if len(match.group(2)) == 2 else 10000):
            raise ValueError(f"'{text}' is not a financial year; write 2024 or 2024/25")
    if not 2000 <= start <= 2100:
        raise ValueError(f"'{text}' is outside 2000 to 2100")
    return start


def read_catalogue(file: IO[bytes]) -> CatalogueSheet:
    """The catalogue in a workbook, checked; ``CatalogueRefused`` lists what is wrong."""
    # openpyxl on first use: every process imports this module at start (decision 0009)
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not XLSX
        raise CatalogueRefused(["The file is not an Excel workbook (.xlsx)."]) from None
    try:
        return _read_book(book)
    finally:
        book.close()


def _read_book(book: Any) -> CatalogueSheet:
    # openpyxl on first use: every process imports this module at start (decision 0009)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    name = sheet.title
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise CatalogueRefused([f"Sheet '{name}' is empty: row 1 must hold the headings."])
    positions: dict[str, int] = {}
    wanted = {c.lower(): c for c in COLUMNS}
    for index, cell in enumerate(header):
        key = " ".join(_text(cell).lower().split())
        column = wanted.get(key) or ALIASES.get(key)
        if column and column not in positions:
            positions[column] = index
    missing = [c for c in COLUMNS if c in REQUIRED and c not in positions]
    if missing:
        raise CatalogueRefused(
            [
                f"Sheet '{name}', row 1: the heading{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(m) for m in missing)} {'are' if len(missing) > 1 else 'is'} "
                "missing."
            ]
        )

    result = CatalogueSheet()
    problems: list[str] = []

    def where(line: int, column: str) -> str:
        return (
            f"Sheet '{name}', row {line}, column {get_column_letter(positions[column] + 1)} "
            f"({column})"
        )

    for line, values in enumerate(rows, start=2):
        if len(problems) >= MAX_ERRORS:
            break
        cells = {c: (values[i] if i < len(values) else None) for c, i in positions.items()}
        if all(_text(v) == "" for v in cells.values()):
            continue
        texts = {c: _text(v) for c, v in cells.items()}
        row_problems: list[str] = []
        for column in COLUMNS:
            if (
                column in REQUIRED
                and column in texts
                and not texts[column]
                and column not in ("Proxy value (£ per unit)",)
            ):
                row_problems.append(f"{where(line, column)}: is blank.")
        for column in ("Theme code", "Outcome code", "Measure code"):
            if texts[column] and not _CODE.match(texts[column]):
                row_problems.append(
                    f"{where(line, column)}: '{texts[column]}' is not a code (letters, digits "
                    "and . _ / - only, at most 20 characters)."
                )
        try:
            amount = _money(cells["Proxy value (£ per unit)"])
        except ValueError as problem:
            row_problems.append(f"{where(line, 'Proxy value (£ per unit)')}: {problem}.")
        year = None
        if texts["Valid from (financial year)"]:
            try:
                year = _year(cells["Valid from (financial year)"])
            except ValueError as problem:
                row_problems.append(f"{where(line, 'Valid from (financial year)')}: {problem}.")
        for column, limit in (
            ("Theme", 200),
            ("Outcome", 200),
            ("Measure", 300),
            ("Unit", 60),
            ("Mission", 200),
        ):
            if column in texts and len(texts[column]) > limit:
                row_problems.append(f"{where(line, column)}: longer than {limit} characters.")
        if row_problems:
            problems.extend(row_problems)
            continue
        assert year is not None
        theme_code, outcome_code = texts["Theme code"], texts["Outcome code"]
        measure_code = texts["Measure code"]
        theme = result.themes.setdefault(
            theme_code, SheetTheme(theme_code, texts["Theme"], texts.get("Mission", ""))
        )
        if theme.title != texts["Theme"]:
            problems.append(
                f"{where(line, 'Theme')}: theme {theme_code} is called "
                f"'{theme.title}' on an earlier row."
            )
            continue
        outcome = result.outcomes.setdefault(
            outcome_code, SheetOutcome(outcome_code, theme_code, texts["Outcome"])
        )
        if outcome.theme_code != theme_code:
            problems.append(
                f"{where(line, 'Theme code')}: outcome {outcome_code} is under "
                f"theme {outcome.theme_code} on an earlier row."
            )
            continue
        if outcome.title != texts["Outcome"]:
            problems.append(
                f"{where(line, 'Outcome')}: outcome {outcome_code} is called "
                f"'{outcome.title}' on an earlier row."
            )
            continue
        measure = result.measures.setdefault(
            measure_code,
            SheetMeasure(
                measure_code,
                outcome_code,
                texts["Measure"],
                texts["Unit"],
                texts.get("Description", ""),
            ),
        )
        if measure.outcome_code != outcome_code:
            problems.append(
                f"{where(line, 'Outcome code')}: measure {measure_code} is under "
                f"outcome {measure.outcome_code} on an earlier row."
            )
            continue
        if (measure.title, measure.unit) != (texts["Measure"], texts["Unit"]):
            problems.append(
                f"{where(line, 'Measure')}: measure {measure_code} has a different "
                "title or unit on an earlier row."
            )
            continue
        if year in measure.proxies:
            problems.append(
                f"{where(line, 'Valid from (financial year)')}: measure "
                f"{measure_code} already has a proxy from {year} on an earlier row."
            )
            continue
        measure.proxies[year] = (amount, texts.get("Proxy basis", ""))
    if problems:
        raise CatalogueRefused(problems[:MAX_ERRORS])
    if not result.measures:
        raise CatalogueRefused([f"Sheet '{name}' has headings but no measures."])
    return result
