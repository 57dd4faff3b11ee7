"""HTML to tagged PDF, in this process and in a child process."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from pypdf import PdfReader

from portal.pdf import PdfInChild, PdfRenderFailed, html_to_pdf

PAGE = (
    "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>Test</title>"
    "</head><body><h1>Contracts £</h1><table><thead><tr><th>Reference</th></tr></thead>"
    "<tbody>{rows}</tbody></table></body></html>"
)


def text_of(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_a_child_renders_the_same_document_as_this_process() -> None:
    html = PAGE.format(rows="".join(f"<tr><td>REF-{n:04d}</td></tr>" for n in range(200)))
    child = PdfInChild(html, str(settings.BASE_DIR)).result()
    here = html_to_pdf(html, str(settings.BASE_DIR))
    assert "/StructTreeRoot" in PdfReader(io.BytesIO(child)).root_object  # tagged
    assert text_of(child) == text_of(here)
    assert "REF-0199" in text_of(child)
    assert "Contracts £" in text_of(child)


def test_a_child_that_dies_is_reported_not_taken_for_a_pdf() -> None:
    html = PAGE.format(rows="".join(f"<tr><td>REF-{n:05d}</td></tr>" for n in range(20_000)))
    render = PdfInChild(html, str(settings.BASE_DIR))
    time.sleep(1)
    os.kill(render.child.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    with pytest.raises(PdfRenderFailed, match="exit -9"):
        render.result()


def test_cancel_stops_the_child() -> None:
    html = PAGE.format(rows="".join(f"<tr><td>REF-{n:05d}</td></tr>" for n in range(20_000)))
    render = PdfInChild(html, str(settings.BASE_DIR))
    render.cancel()
    assert render.child.returncode is not None
    render.cancel()  # and again does nothing


def test_a_child_that_cannot_start_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    html = PAGE.format(rows="".join(f"<tr><td>REF-{n:05d}</td></tr>" for n in range(20_000)))
    monkeypatch.setattr(sys, "executable", "/bin/false")  # exits at once, reading nothing
    with pytest.raises(PdfRenderFailed, match="exit 1"):
        PdfInChild(html, str(settings.BASE_DIR)).result()
