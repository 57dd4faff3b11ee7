"""Checks on a supplier's evidence file: size, and type by its content (not its name).

Accepted: PDF; PNG, JPEG, GIF and WebP images; Word, Excel and PowerPoint (both the current
zip-based formats and the older OLE2 ones); OpenDocument text, spreadsheet and presentation.
Anything else, or a file whose name claims one type while its content is another, is refused.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# extension → (content kind, content type sent back on download)
ALLOWED: dict[str, tuple[str, str]] = {
    ".pdf": ("pdf", "application/pdf"),
    ".png": ("png", "image/png"),
    ".jpg": ("jpeg", "image/jpeg"),
    ".jpeg": ("jpeg", "image/jpeg"),
    ".gif": ("gif", "image/gif"),
    ".webp": ("webp", "image/webp"),
    ".docx": (
        "ooxml-word",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ".xlsx": ("ooxml-xl", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": (
        "ooxml-ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ".doc": ("ole2", "application/msword"),
    ".xls": ("ole2", "application/vnd.ms-excel"),
    ".ppt": ("ole2", "application/vnd.ms-powerpoint"),
    ".odt": ("odf", "application/vnd.oasis.opendocument.text"),
    ".ods": ("odf", "application/vnd.oasis.opendocument.spreadsheet"),
    ".odp": ("odf", "application/vnd.oasis.opendocument.presentation"),
}
ALLOWED_TEXT = (
    "PDF, an image (PNG, JPEG, GIF, WebP), or a Word, Excel, PowerPoint or OpenDocument file"
)


class EvidenceRefused(ValueError):
    """The file cannot be kept as evidence; the message says why in plain words."""


@dataclass(frozen=True)
class EvidenceCheck:
    name: str
    content_type: str


def _sniff(head: bytes, stream: IO[bytes]) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(_OLE2):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    mimetype = archive.read("mimetype")[:100]
                    if mimetype.startswith(b"application/vnd.oasis.opendocument."):
                        return "odf"
                if "[Content_Types].xml" in names:
                    for prefix, kind in (
                        ("word/", "ooxml-word"),
                        ("xl/", "ooxml-xl"),
                        ("ppt/", "ooxml-ppt"),
                    ):
                        if any(n.startswith(prefix) for n in names):
                            return kind
        except (zipfile.BadZipFile, OSError, KeyError):
            return None
    return None


def check_evidence(file: IO[bytes], name: str, size: int | None = None) -> EvidenceCheck:
    """The file's safe name and content type, or ``EvidenceRefused``."""
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if size > MAX_EVIDENCE_BYTES:
        raise EvidenceRefused(
            f"The file is {size / 1024 / 1024:.1f} MB; the largest accepted is "
            f"{MAX_EVIDENCE_BYTES // 1024 // 1024} MB."
        )
    if size == 0:
        raise EvidenceRefused("The file is empty.")
    clean_name = PurePath(name.replace("\\", "/")).name[:200] or "evidence"
    extension = PurePath(clean_name).suffix.lower()
    if extension not in ALLOWED:
        raise EvidenceRefused(f"The file must be {ALLOWED_TEXT}.")
    file.seek(0)
    head = file.read(16)
    kind = _sniff(head, file)
    file.seek(0)
    expected, content_type = ALLOWED[extension]
    if kind != expected:
        raise EvidenceRefused(
            f"The file's content is not what its name says ({extension}). It must be "
            f"{ALLOWED_TEXT}."
        )
    return EvidenceCheck(name=clean_name, content_type=content_type)
