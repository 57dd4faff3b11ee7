"""Writes for committee report editions: create, save the narrative, finalise (freeze)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone

from portal.jobs import Progress
from portal.models import User
from reports import committee, word
from reports.models import Edition

NARRATIVE_LIMIT = 20_000  # characters in one section's text


class EditionError(ValueError):
    """An edition cannot be changed as asked; the message says why and what to do."""


def edition_create(
    *,
    fy: int,
    committee_name: str,
    meeting_date: dt.date,
    user: User | None,
    start_from: Edition | None = None,
) -> Edition:
    """A new draft edition; with ``start_from``, the earlier edition's text and front sheet."""
    edition = Edition(fy=fy, committee=committee_name, meeting_date=meeting_date, created_by=user)
    if start_from is not None:
        edition.started_from = start_from
        edition.narrative = dict(start_from.narrative or {})
        edition.report_of = start_from.report_of
        edition.contact_officer = start_from.contact_officer
        edition.purpose = start_from.purpose
        edition.approximate_top = start_from.approximate_top
    edition.save()
    return edition


def edition_save(*, edition: Edition, fields: dict[str, Any], narrative: dict[str, str]) -> Edition:
    """Save the front sheet and each section's text of a draft."""
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.is_final:
            raise EditionError(
                "This edition is final, so its text cannot change. Start a new edition from it."
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        kept = dict(locked.narrative or {})
        for anchor, text in narrative.items():
            text = text.replace("\r\n", "\n").strip()
            if len(text) > NARRATIVE_LIMIT:
                raise EditionError(
                    f"The text for one section is {len(text):,} characters long; "
                    f"keep each section under {NARRATIVE_LIMIT:,}."
                )
            kept[anchor] = text
        locked.narrative = kept
        locked.save()
    return locked


def _jsonable(value: Any) -> Any:
    """Figures as JSON: dataclasses by their fields, model rows by their text, dates as ISO."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return {"pk": value.pk, "text": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return str(value) if hasattr(value, "__html__") else value
    return str(value)


def edition_finalise(
    *, edition_id: int, user: User | None, progress: Progress | None = None
) -> Edition:
    """Freeze a draft: its figures and each section's rendered table as JSON, and its PDF.

    The edition is locked while the report renders, so no one saves text into it meanwhile;
    a final edition is never recomputed."""
    with transaction.atomic():
        edition = Edition.objects.select_for_update().get(pk=edition_id)
        if edition.is_final:
            raise EditionError("This edition is already final.")
        edition.status = Edition.Status.FINAL
        edition.finalised_at = timezone.now()
        edition.finalised_by = user
        if progress:
            progress(10, "Gathering the figures")
        html, context = committee.edition_html(edition)
        if progress:
            progress(60, "Writing the PDF")
        pdf = committee.html_to_pdf(html, str(committee.settings.BASE_DIR))
        sections = committee.section_dicts(context)
        figures = {
            s.anchor: {k: v for k, v in s.data.items() if k != "chart"} for s in context["sections"]
        }
        edition.frozen = {
            "as_at": context["as_at"].isoformat(),
            "generated_at": context["generated_at"].isoformat(),
            "sections": [
                {**section, "figures": _jsonable(figures[section["anchor"]])}
                for section in sections
            ],
        }
        if progress:
            progress(90, "Writing the Word document")
        # From the frozen sections, as a final edition's page is: the same text and figures.
        docx = word.edition_docx(
            edition, edition.frozen["sections"], context["as_at"], context["generated_at"]
        )
        edition.pdf.save(committee.edition_file_name(edition), ContentFile(pdf), save=False)
        edition.docx.save(
            committee.edition_file_name(edition, "docx"), ContentFile(docx), save=False
        )
        edition.save()
    return edition
