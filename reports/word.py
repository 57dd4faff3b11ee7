"""A committee report edition as a Word document (DOCX), for clerks to paste into their own
committee template.

It is built from the same pieces as the PDF: the front sheet, each section's heading and
officers' text (``reports.narrative`` blocks), and each section's figures as the portal
rendered them (``_section_figures.html``). A final edition's figures are its frozen HTML, so
its document never reads live data. Charts are left out: every chart's figures are in the
table that follows it.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from portal.formatting import financial_year_label
from reports import narrative

DRAFT_MARK = "Draft: not for publication"
NOTE_GREY = RGBColor(0x50, 0x5A, 0x5F)


@dataclass
class Table:
    caption: str = ""
    head: list[list[str]] = field(default_factory=list)
    body: list[list[tuple[str, bool]]] = field(default_factory=list)  # (text, is a number)
    foot: list[list[tuple[str, bool]]] = field(default_factory=list)


@dataclass
class Piece:
    """One block of a section's figures: a heading, a paragraph (a note or not) or a table."""

    kind: str  # "heading", "paragraph", "note" or "table"
    text: str = ""
    table: Table | None = None


class _FiguresParser(HTMLParser):
    """The figures partial's HTML as pieces. It reads only the portal's own markup: headings,
    paragraphs and tables; a chart (``<figure>``), and any style or script, is skipped."""

    SKIP = {"figure", "style", "script", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[Piece] = []
        self.skipping = 0
        self.text: list[str] | None = None
        self.kind = ""
        self.table: Table | None = None
        self.part = ""  # "head", "body" or "foot"
        self.row: list[tuple[str, bool]] | None = None
        self.cell_number = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        if self.skipping:
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            self.table = Table()
            self.part = "body"
        elif self.table is not None:
            if tag in ("thead", "tbody", "tfoot"):
                self.part = tag[1:] if tag != "tbody" else "body"
            elif tag == "caption":
                self.text = []
            elif tag == "tr":
                self.row = []
            elif tag in ("td", "th"):
                self.text = []
                self.cell_number = "num" in classes
        elif tag in ("p", "h3", "h4"):
            self.text = []
            self.kind = (
                "heading"
                if tag != "p"
                else ("note" if {"note", "missing", "current"} & set(classes) else "paragraph")
            )
        elif tag == "br" and self.text is not None:
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag in self.SKIP:
                self.skipping -= 1
            return
        table = self.table
        if table is not None:
            if tag == "caption" and self.text is not None:
                table.caption = _clean(self.text)
                self.text = None
            elif tag in ("td", "th") and self.text is not None and self.row is not None:
                self.row.append((_clean(self.text), self.cell_number))
                self.text = None
            elif tag == "tr" and self.row is not None:
                if self.part == "head":
                    table.head.append([text for text, _ in self.row])
                else:
                    (table.foot if self.part == "foot" else table.body).append(self.row)
                self.row = None
            elif tag == "table":
                self.pieces.append(Piece("table", table=table))
                self.table = None
        elif tag in ("p", "h3", "h4") and self.text is not None:
            text = _clean(self.text)
            if text:
                self.pieces.append(Piece(self.kind, text))
            self.text = None

    def handle_data(self, data: str) -> None:
        if not self.skipping and self.text is not None:
            self.text.append(data)


def _clean(parts: list[str]) -> str:
    return "\n".join(" ".join(line.split()) for line in "".join(parts).split("\n")).strip()


def figures_pieces(html: str) -> list[Piece]:
    parser = _FiguresParser()
    parser.feed(html)
    parser.close()
    return parser.pieces


def _date_text(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _repeat_as_header(row: Any) -> None:
    """Mark a table row as a header row Word repeats at the top of every page."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _keep_rows_whole(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    properties.append(cant_split)


def _add_table(document: Any, table: Table) -> None:
    if table.caption:
        caption = document.add_paragraph(table.caption, style="Caption")
        caption.paragraph_format.keep_with_next = True
    columns = max([len(r) for r in table.head] + [len(r) for r in table.body + table.foot] + [1])
    rows = (
        [[(text, False) for text in r] for r in table.head] + table.body + table.foot
    )  # header cells' alignment follows their column below
    numeric = [any(len(r) > i and r[i][1] for r in table.body + table.foot) for i in range(columns)]
    grid = document.add_table(rows=len(rows), cols=columns)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    for index, (row, cells) in enumerate(zip(grid.rows, rows, strict=True)):
        header = index < len(table.head)
        if header:
            _repeat_as_header(row)
        _keep_rows_whole(row)
        for column, (text, _) in enumerate(cells):
            paragraph = row.cells[column].paragraphs[0]
            run = paragraph.add_run(text)
            run.bold = header or index >= len(table.head) + len(table.body)
            if numeric[column]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _add_narrative(document: Any, text: str) -> None:
    for block in narrative.blocks(text):
        if block.kind == "heading":
            document.add_heading(block.lines[0], level=3)
        elif block.kind == "list":
            for item in block.lines:
                document.add_paragraph(item, style="List Bullet")
        else:
            document.add_paragraph(block.lines[0])


def _add_note(document: Any, text: str) -> None:
    run = document.add_paragraph().add_run(text)
    run.italic = True
    run.font.color.rgb = NOTE_GREY


def edition_docx(
    edition: Any,
    sections: list[dict[str, Any]],
    as_at: dt.date,
    generated_at: dt.datetime,
) -> bytes:
    """The edition as a DOCX. ``sections`` are dicts with ``title``, ``narrative``,
    ``figures_html``, ``current`` and ``looks_ahead``: a final edition's frozen sections, or a
    draft's sections rendered now."""
    label = financial_year_label(edition.fy)
    draft = not edition.is_final
    document = Document()
    styles = document.styles
    styles["Normal"].font.name = "Arial"
    styles["Normal"].font.size = Pt(10)
    properties = document.core_properties
    properties.title = f"{settings.COUNCIL_NAME}: procurement committee scrutiny report {label}"
    properties.author = settings.COUNCIL_NAME
    properties.language = "en-GB"
    properties.created = generated_at.replace(tzinfo=None)
    properties.modified = generated_at.replace(tzinfo=None)
    properties.last_modified_by = settings.COUNCIL_NAME
    properties.revision = 1
    header = document.sections[0].header.paragraphs[0]
    header.text = f"{settings.COUNCIL_NAME}: procurement scrutiny report {label}" + (
        f". {DRAFT_MARK.upper()}" if draft else ""
    )

    document.add_paragraph(settings.COUNCIL_NAME).runs[0].bold = True
    document.add_paragraph(f"{edition.committee}, meeting on {_date_text(edition.meeting_date)}")
    document.add_heading(f"Procurement: committee scrutiny report {label}", level=1)
    if draft:
        mark = document.add_paragraph().add_run(DRAFT_MARK.upper())
        mark.bold = True
        mark.font.size = Pt(14)
    front = Table(
        caption="Front sheet",
        body=[
            [(name, False), (value, False)]
            for name, value in (
                ("Committee", edition.committee),
                ("Meeting date", _date_text(edition.meeting_date)),
                ("Report of", edition.report_of or "Not given"),
                ("Contact officer", edition.contact_officer or "Not given"),
                ("Purpose", edition.purpose or "Not given"),
                ("Status", "Final" if not draft else DRAFT_MARK),
                ("Figures as at", _date_text(as_at)),
            )
        ],
    )
    _add_table(document, front)
    _add_note(
        document,
        f"Every figure is as at {_date_text(as_at)}, within {label}, unless its section says "
        f"it is current. Produced by the procurement portal from its data on "
        f"{_date_text(generated_at.date())} at {generated_at:%H:%M}. Figures are in whole "
        "pounds; percentages are whole numbers.",
    )

    for number, section in enumerate(sections, start=1):
        document.add_heading(f"{number}. {section['title']}", level=2)
        if section.get("current"):
            current_at = section.get("current_at")
            day = dt.date.fromisoformat(current_at) if current_at else generated_at.date()
            _add_note(
                document,
                f"This section is current: it shows the portal on {_date_text(day)}, not as "
                f"at {_date_text(as_at)}.",
            )
        if section.get("looks_ahead"):
            _add_note(
                document,
                f"This section looks ahead: it lists what the register held on "
                f"{_date_text(as_at)} for the periods after that date.",
            )
        _add_narrative(document, section.get("narrative") or "")
        for piece in figures_pieces(str(section.get("figures_html") or "")):
            if piece.kind == "table" and piece.table is not None:
                _add_table(document, piece.table)
            elif piece.kind == "heading":
                document.add_heading(piece.text, level=3)
            elif piece.kind == "note":
                _add_note(document, piece.text)
            else:
                document.add_paragraph(piece.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
