"""The committee report and the published register are set in one
typeface (templates/portal/_pdf_typeface.css, which the payments notice uses too): the
fonts read back from each PDF are the same family."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from contracts import services
from portal.periods import Quarter
from reports.committee import render_committee_report

pytestmark = pytest.mark.django_db


def font_families(pdf: bytes) -> set[str]:
    """The families of the fonts a PDF embeds: "ABCDEF+Liberation-Sans-Bold" is
    Liberation-Sans (a subset prefix, then the family, then the style)."""
    families = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.values():
            name = str(ref.get_object()["/BaseFont"]).lstrip("/")
            name = re.sub(r"^[A-Z]{6}\+", "", name)
            families.add(re.sub(r"[-,](Bold|Italic|Oblique|Regular)+$", "", name))
    return families


def test_the_committee_report_and_the_register_share_one_typeface(year_file: Path) -> None:
    services.register_import(path=year_file)
    publication = services.publication_build(quarter=Quarter.parse("2024Q1"), user=None)
    register = Path(publication.pdf.path).read_bytes()
    report = render_committee_report(2023)
    families = font_families(register)
    assert families == font_families(report)
    assert len(families) == 1, families
    assert next(iter(families)).startswith("Liberation"), families
