"""HTML to tagged PDF (PDF/UA-1) with WeasyPrint, in this process or in a child process.

A long document (the published register runs to 300 pages) is better made in a child:
- it runs on another CPU while the caller writes its other files;
- WeasyPrint's peak memory (about 1.2 GB for 5,000 contracts) goes back to the system when
  the child exits, instead of staying with a long-lived Celery worker;
- a child started with ``subprocess`` works inside Celery's daemonic pool processes, where
  ``multiprocessing`` may not start children.

The child needs no database or Django: it gets finished HTML on stdin and writes the PDF to
stdout (``python -m portal.pdf BASE_URL``).
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

# Long enough for the largest register; a stuck render is stopped rather than left running.
CHILD_TIMEOUT_SECONDS = 30 * 60
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def static_only_fetcher() -> Any:
    """WeasyPrint's URL fetcher, allowed the portal's static/ files and data: URLs only: no
    other file (``file:///etc/passwd``) and no network, whatever HTML it is given."""
    from weasyprint import URLFetcher  # noqa: PLC0415  (WeasyPrint loads only in the process that renders a PDF)

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and parts.netloc in ("", "localhost"):
                path = Path(url2pathname(parts.path)).resolve()
                if path.is_relative_to(STATIC_DIR):
                    return super().fetch(url, headers)
            raise ValueError(f"A PDF may only use the portal's static files, not {url}")

    return StaticOnlyFetcher(allowed_protocols={"file", "data"}, allow_redirects=False)


def html_to_pdf(html: str, base_url: str) -> bytes:
    """Render here. The cyclic garbage collector is paused meanwhile: WeasyPrint makes
    millions of small objects and the collector rescans them all as they pile up (5,000
    contracts took 58 s with it and 42 s without, at the same peak memory)."""
    from weasyprint import HTML  # noqa: PLC0415  (WeasyPrint loads only in the process that renders a PDF)

    collecting = gc.isenabled()
    gc.disable()
    try:
        pdf = HTML(string=html, base_url=base_url, url_fetcher=static_only_fetcher()).write_pdf(
            pdf_variant="pdf/ua-1"
        )
    finally:
        if collecting:
            gc.enable()
    assert pdf is not None
    return bytes(pdf)


class PdfRenderFailed(RuntimeError):
    """The child process rendering a PDF failed; the message carries the end of its stderr."""


class PdfInChild:
    """Rendering started in a child process: ``result()`` waits for the PDF's bytes.

    A caller that fails before collecting the PDF calls ``cancel()`` to stop the child."""

    def __init__(self, html: str, base_url: str) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "portal.pdf", base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert self.child.stdin is not None
        # The child reads all of its input before it writes anything: this cannot deadlock.
        try:
            self.child.stdin.write(html.encode("utf-8"))
            self.child.stdin.close()
        except BrokenPipeError:
            pass  # the child died before reading it all; result() reports how it ended
        self.child.stdin = None  # communicate() must not flush the closed pipe again

    def result(self) -> bytes:
        try:
            pdf, errors = self.child.communicate(timeout=CHILD_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.cancel()
            raise PdfRenderFailed(
                f"Making the PDF took over {CHILD_TIMEOUT_SECONDS // 60} minutes and was stopped."
            ) from None
        if self.child.returncode != 0 or not pdf.startswith(b"%PDF"):
            detail = errors.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfRenderFailed(
                f"Making the PDF failed (exit {self.child.returncode}): " + " / ".join(detail)
            )
        return pdf

    def cancel(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
            self.child.communicate()


def main() -> None:
    html = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(html_to_pdf(html, sys.argv[1]))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
