"""Officers' narrative as safe HTML: plain text with ``# `` headings, ``- `` lists and
paragraphs separated by blank lines. Every character is escaped; no HTML an officer types
ever reaches a page or a PDF."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Block:
    """One block of narrative: a heading, a paragraph or a list (for the DOCX export too)."""

    kind: str  # "heading", "paragraph" or "list"
    lines: tuple[str, ...]


def blocks(text: str) -> list[Block]:
    found: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            found.append(Block("paragraph", (" ".join(paragraph),)))
            paragraph.clear()
        if items:
            found.append(Block("list", tuple(items)))
            items.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("# "):
            flush()
            found.append(Block("heading", (line[2:].strip(),)))
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:].strip())
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return found


def render(text: str, heading_level: int = 3) -> SafeString:
    """The narrative as HTML; headings at ``heading_level`` (below the section's own)."""
    html: list[str] = []
    for block in blocks(text):
        if block.kind == "heading":
            html.append(f"<h{heading_level}>{escape(block.lines[0])}</h{heading_level}>")
        elif block.kind == "list":
            html.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.lines) + "</ul>")
        else:
            html.append(f"<p>{escape(block.lines[0])}</p>")
    return mark_safe("\n".join(html))  # noqa: S308  (every piece above is escaped)
