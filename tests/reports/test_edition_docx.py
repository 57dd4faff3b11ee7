"""The edition as a Word document, read back with python-docx: the front sheet, each section's
heading, the officers' text as headings, lists and paragraphs, tables with repeating header
rows, and figures worked out here from the rows the test writes. A final edition's document
is the frozen edition: later payments change nothing in it."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from contracts.services import register_import
from portal import services as portal_services
from portal.models import User
from reports import services
from reports.committee import EDITION_JOB_KIND
from tests.conftest import downloaded
from tests.contracts.conftest import register_row, write_csv
from tests.ledger import HOME, Line, import_lines
from tests.reports.test_editions import FY, YEAR_END, contract, dates_after, gbp, lines

pytestmark = pytest.mark.django_db


def read_docx(data: bytes) -> dict[str, Any]:
    """The document in reading order: the part before the first section heading (the front
    sheet) and each section's paragraphs (style, text) and tables (rows of cell texts, and
    whether each row repeats as a header)."""
    document = Document(io.BytesIO(data))
    front: list[Any] = []
    sections: dict[str, list[Any]] = {}
    current = front
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            if style == "Heading 2":
                current = sections.setdefault(paragraph.text.split(". ", 1)[1], [])
            elif paragraph.text:
                current.append((style, paragraph.text))
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            current.append(
                [
                    (
                        [cell.text for cell in row.cells],
                        row._tr.trPr is not None
                        and row._tr.trPr.find(qn("w:tblHeader")) is not None,
                    )
                    for row in table.rows
                ]
            )
    header = document.sections[0].header.paragraphs[0].text
    return {"front": front, "sections": sections, "header": header}


def texts(blocks: list[Any]) -> list[str]:
    return [b[1] for b in blocks if isinstance(b, tuple)]


def tables(blocks: list[Any]) -> list[list[tuple[list[str], bool]]]:
    return [b for b in blocks if isinstance(b, list)]


def all_text(doc: dict[str, Any], skip: tuple[str, ...] = ()) -> str:
    parts = []
    for title, blocks in doc["sections"].items():
        current = any(
            isinstance(b, tuple) and b[1].startswith("This section is current") for b in blocks
        )
        if title in skip or current:  # current sections show the day they were built
            continue
        parts.append(title)
        for block in blocks:
            if isinstance(block, tuple):
                parts.append(block[1])
            else:
                parts.extend(" ".join(cells) for cells, _ in block)
    return "\n".join(parts)


def finalised(officer: User, tmp_path: Path) -> Any:
    import_lines(tmp_path, lines())
    register_import(
        path=write_csv(
            tmp_path / "register.csv",
            [
                register_row("ED-1", "Ending Ltd", **contract("2023-05-01", "2025-06-30", "5000")),
                register_row(
                    "ED-3",
                    "Waived Ltd",
                    **contract("2023-10-02", "2024-02-29", "700.00"),
                    **{"Procurement route": "Waiver"},
                ),
            ],
        )
    )
    edition = services.edition_create(
        fy=FY, committee_name="Scrutiny Committee", meeting_date=dt.date(2024, 7, 22), user=officer
    )
    services.edition_save(
        edition=edition,
        fields={"report_of": "Director of Finance", "contact_officer": "Pat Smith"},
        narrative={
            "introduction": "# Background\nThis report covers 2023/24.\n\n- one point\n- two",
            "key-spend": "Spend was steady.",
        },
    )
    return edition


def test_a_draft_docx_is_marked_draft_and_has_every_section_and_figure(
    client: Client, officer: User, councillor: User, tmp_path: Path
) -> None:
    edition = finalised(officer, tmp_path)
    client.force_login(officer)
    page = client.get(edition.get_absolute_url()).content.decode()
    url = reverse("reports:edition-docx", args=[edition.pk])
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert (
        "draft-committee-scrutiny-report-2023-24-2024-07-22.docx" in response["Content-Disposition"]
    )
    doc = read_docx(downloaded(response))
    assert "DRAFT: NOT FOR PUBLICATION" in doc["header"]
    front = doc["front"]
    assert ("Normal", "DRAFT: NOT FOR PUBLICATION") in front
    sheet = {cells[0]: cells[1] for cells, _ in tables(front)[0]}
    assert sheet["Status"] == "Draft: not for publication"
    assert sheet["Report of"] == "Director of Finance"
    assert sheet["Contact officer"] == "Pat Smith"
    assert sheet["Figures as at"] == "31 March 2024"
    assert sheet["Meeting date"] == "22 July 2024"
    # The officers' text: a heading, a paragraph and a list.
    intro = doc["sections"]["Introduction"]
    assert intro[:4] == [
        ("Heading 3", "Background"),
        ("Normal", "This report covers 2023/24."),
        ("List Bullet", "one point"),
        ("List Bullet", "two"),
    ]
    # Councillors never get a draft.
    client.force_login(councillor)
    assert client.get(url).status_code == 404


def check_figures(doc: dict[str, Any]) -> None:
    """Each section's figures against the rows this file wrote."""
    year = [line for line in lines() if line.fy == FY]
    total = sum(x.pence for x in year)
    spend = doc["sections"]["Key spend information"]
    assert ("Normal", "Spend was steady.") in spend
    assert f"In 2023/24 the council paid {gbp(total)} to 3 suppliers in 4 payments." in texts(spend)
    by_supplier: dict[str, int] = defaultdict(int)
    for line in year:
        by_supplier[line.supplier] += line.pence
    top = tables(spend)[0]
    assert top[0] == (["Rank", "Supplier", "Spend 2023/24", "Category"], True)
    ranked = sorted(by_supplier.items(), key=lambda kv: -kv[1])
    assert [cells[:3] for cells, _ in top[1:]] == [
        [str(rank), f"Supplier {supplier}", gbp(pence)]
        for rank, (supplier, pence) in enumerate(ranked, start=1)
    ]
    assert all(not repeats for _, repeats in top[1:])
    months = next(t for t in tables(spend) if t[0][0][0] == "Month")
    assert sum(int(c[2]) for c, _ in months[1:]) == len(year)
    # Locality: five years, the four with no payments "-".
    locality = tables(doc["sections"]["Locality spend information"])[0]
    assert locality[0][1] is True
    home = sum(x.pence for x in year if x.postcode == HOME)
    share = (Decimal(home * 100) / total).quantize(Decimal(1), ROUND_HALF_UP)
    rows = [cells for cells, _ in locality[1:]]
    assert rows[-1] == ["2023/24*", gbp(home), gbp(total), f"{share}%"]
    assert rows[:-1] == [[f"{fy}/{(fy + 1) % 100:02d}*", "-", "-", "-"] for fy in range(FY - 4, FY)]
    register = " ".join(texts(doc["sections"]["The contract register"]))
    assert "On 31 March 2024 the register held 1 live contract worth £5,000 in all." in register
    assert "In 2023/24 to that date, 2 contracts were awarded, 1 of them by waiver." in register
    plan = tables(doc["sections"]["Contracts ending in the next 24 months"])[0]
    assert ["April to June 2025", "1", "£5,000", "0"] in [cells for cells, _ in plan]
    for title in ("Spend by supplier size", "Locality by head office beside paid site"):
        assert texts(doc["sections"][title])[0].startswith(
            "This section is current: it shows the portal on "
        )
    # No date after the year's end outside the forward plan, which looks ahead, and the
    # sections marked current.
    assert (
        dates_after(all_text(doc, skip=("Contracts ending in the next 24 months",)), YEAR_END) == []
    )


def test_a_final_edition_docx_is_frozen_with_the_pdf(
    client: Client, officer: User, councillor: User, tmp_path: Path
) -> None:
    edition = finalised(officer, tmp_path)
    job = portal_services.job_start(
        kind=EDITION_JOB_KIND, title="Final", params={"edition": edition.pk}, user=officer
    )
    portal_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    edition.refresh_from_db()
    assert edition.docx
    client.force_login(councillor)
    url = reverse("reports:edition-docx", args=[edition.pk])
    library = client.get(reverse("reports:centre")).content.decode()
    assert f'href="{url}"' in library
    first = downloaded(client.get(url))
    doc = read_docx(first)
    assert "DRAFT" not in doc["header"]
    assert not any("DRAFT" in text for text in texts(doc["front"]))
    sheet = {cells[0]: cells[1] for cells, _ in tables(doc["front"])[0]}
    assert sheet["Status"] == "Final"
    assert list(doc["sections"])[:3] == [
        "Introduction",
        "Recommendations",
        "Key spend information",
    ]
    check_figures(doc)
    # Later payments in the year change neither the kept file nor one built from the frozen
    # sections (an edition finalised before the files were kept).
    import_lines(tmp_path / "later", [Line(99, "E5", "5000000.00", dt.date(2023, 9, 9), HOME)])
    assert downloaded(client.get(url)) == first
    edition.docx.delete(save=True)
    rebuilt = read_docx(downloaded(client.get(url)))
    assert rebuilt["sections"] == doc["sections"]
    assert rebuilt["front"] == doc["front"]


def test_the_draft_docx_figures_are_live(client: Client, officer: User, tmp_path: Path) -> None:
    edition = finalised(officer, tmp_path)
    client.force_login(officer)
    check_figures(
        read_docx(downloaded(client.get(reverse("reports:edition-docx", args=[edition.pk]))))
    )
