"""Writes for self-assessment: framework sync, assessments and answers, invitations, and the
spreadsheet round-trip. Every change to diagnostics data goes through a function here.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from diagnostics import framework_files
from diagnostics.models import Answer, Assessment, Framework, Invitation, Organisation
from portal.models import User
from portal.services import client_limit_reached, email_after_commit
from portal.workbooks import WorkbookLimits, WorkbookRefused, check_workbook

logger = logging.getLogger(__name__)

INVITATION_DAYS = 30
EVIDENCE_MAX_CHARS = 5000


class DiagnosticsError(Exception):
    """A request the rules refuse, with a message to show as it is."""


class AssessmentLocked(DiagnosticsError):
    pass


class SpreadsheetRefused(DiagnosticsError):
    """An uploaded spreadsheet that cannot be taken, naming the sheet and cell at fault."""


# ---------------------------------------------------------------------------- frameworks


@dataclass(frozen=True)
class SyncReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept: tuple[str, ...]  # changed on disk but answered already: the stored copy is kept


def frameworks_sync(*, directory: Path | None = None, using: str = "default") -> SyncReport:
    """Copy every framework file into the ``Framework`` table; safe to run any number of times.

    A version that already has assessments keeps its stored definition even if its file has
    changed since, so earlier answers stay valid: change a framework by adding a new version.
    """
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    kept: list[str] = []
    with transaction.atomic(using=using):
        for path in framework_files.framework_paths(directory):
            spec = framework_files.load_framework_file(path)
            definition = json.loads(path.read_text(encoding="utf-8"))
            definition.pop("$schema", None)
            row = (
                Framework.objects.using(using).filter(slug=spec.slug, version=spec.version).first()
            )
            fields = {
                "title": spec.title,
                "short_title": spec.short_title,
                "public": spec.public,
                "definition": definition,
            }
            if row is None:
                Framework.objects.using(using).create(
                    slug=spec.slug, version=spec.version, **fields
                )
                created.append(spec.key)
            elif (
                row.definition == definition
                and row.title == spec.title
                and (row.public == spec.public and row.short_title == spec.short_title)
            ):
                unchanged.append(spec.key)
            elif row.assessments.exists():
                logger.warning(
                    "%s has changed on disk but has answers; keeping the stored version. "
                    "Add a new version file instead.",
                    path.name,
                )
                kept.append(spec.key)
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.loaded_at = timezone.now()
                row.save(using=using)
                updated.append(spec.key)
    return SyncReport(tuple(created), tuple(updated), tuple(unchanged), tuple(kept))


# ---------------------------------------------------------------------------- organisations


def organisation_host_ensure() -> Organisation:
    """The council running the portal, created from ``COUNCIL_NAME`` the first time."""
    host = Organisation.objects.filter(is_host=True).first()
    if host is None:
        host, _ = Organisation.objects.get_or_create(
            is_host=True,
            defaults={"name": settings.COUNCIL_NAME, "kind": Organisation.Kind.COUNCIL},
        )
    return host


def organisation_for_invitee(*, name: str, kind: str) -> Organisation:
    """The (non-host) organisation with this name, created if new; names match ignoring case."""
    name = " ".join(name.split())
    found = Organisation.objects.filter(is_host=False, name__iexact=name).first()
    return found or Organisation.objects.create(name=name, kind=kind)


# ---------------------------------------------------------------------------- assessments


@transaction.atomic
def assessment_start(
    *,
    framework: Framework,
    organisation: Organisation | None,
    created_by: User | None = None,
    round_label: str = "",
    respondent_name: str = "",
    respondent_email: str = "",
    respondent_kind: str = "",
) -> Assessment:
    """A new draft round. Anonymous (no organisation) only for a public framework."""
    if organisation is None and not framework.public:
        raise DiagnosticsError(f"{framework.short_title} cannot be answered anonymously.")
    today = timezone.localdate()
    return Assessment.objects.create(
        framework=framework,
        organisation=organisation,
        created_by=created_by,
        round_label=round_label.strip() or today.strftime("%B %Y"),
        round_date=today,
        respondent_name=respondent_name.strip(),
        respondent_email=respondent_email.strip(),
        respondent_kind=respondent_kind,
    )


def normalise_evidence(text: str | None) -> str:
    """Evidence as stored: one kind of line break, no characters a spreadsheet cannot hold,
    no surrounding space. Stored text therefore survives the XLSX round-trip unchanged."""
    # openpyxl on first use: every process imports this module at start (decision 0009)
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415

    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text).strip()


def _check_editable(assessment: Assessment) -> None:
    if not assessment.is_draft:
        raise AssessmentLocked("This assessment has been submitted and can no longer be changed.")


@transaction.atomic
def answer_save(*, assessment: Assessment, answers: Mapping[str, tuple[str | None, str]]) -> int:
    """Save answers (question code -> (level code or None, evidence)), e.g. one theme's page.

    Questions not mentioned are left as they are. Returns how many answers were written.
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_editable(assessment)
    spec = assessment.framework.spec
    codes = {question.code for _, question in spec.questions()}
    levels = {level.code for level in spec.levels}
    for code, (level_code, evidence) in answers.items():
        if code not in codes:
            raise DiagnosticsError(f"{spec.short_title} has no question {code}.")
        if level_code is not None and level_code not in levels:
            raise DiagnosticsError(f"'{level_code}' is not a level of {spec.short_title}.")
        if len(evidence or "") > EVIDENCE_MAX_CHARS:
            raise DiagnosticsError(
                f"Evidence for {code} must be {EVIDENCE_MAX_CHARS} characters or fewer."
            )
    for code, (level_code, evidence) in answers.items():
        Answer.objects.update_or_create(
            assessment=assessment,
            question_code=code,
            defaults={"level_code": level_code or None, "evidence": normalise_evidence(evidence)},
        )
    Assessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now())
    return len(answers)


@transaction.atomic
def assessment_submit(*, assessment: Assessment) -> Assessment:
    """Mark a draft as submitted: it is then scored, compared and counted among peers."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_editable(assessment)
    if not assessment.answers.filter(level_code__isnull=False).exists():
        raise DiagnosticsError("Answer at least one question before you submit the assessment.")
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.save(update_fields=["status", "submitted_at", "updated_at"])
    return assessment


def public_start_limited(*, client: str) -> bool:
    """Count a start of the public test from this client address; True once it is over the
    limit (``SVMI_PUBLIC_STARTS_PER_CLIENT`` per ``SVMI_PUBLIC_STARTS_WINDOW_SECONDS``)."""
    return client_limit_reached(
        scope="svmi-start",
        client=client,
        limit=settings.SVMI_PUBLIC_STARTS_PER_CLIENT,
        window_seconds=settings.SVMI_PUBLIC_STARTS_WINDOW_SECONDS,
    )


# ---------------------------------------------------------------------------- invitations


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def invitation_create(
    *,
    email: str,
    organisation_name: str,
    organisation_kind: str,
    framework: Framework,
    invited_by: User,
    site_url: str,
    days: int | None = None,
) -> tuple[Invitation, str]:
    """Record an invitation and email its link; returns the invitation and the link.

    ``site_url`` is the portal's address (scheme and host) for the link in the email.
    """
    days = (
        days
        if days is not None
        else getattr(settings, "DIAGNOSTICS_INVITATION_DAYS", INVITATION_DAYS)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip().lower(),
        organisation_name=" ".join(organisation_name.split()),
        organisation_kind=organisation_kind,
        framework=framework,
        token_hash=token_hash(token),
        expires_at=timezone.now() + timedelta(days=days),
        invited_by=invited_by,
    )
    link = _invitation_email(invitation, token, sender=invited_by, site_url=site_url)
    return invitation, link


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, sender: User, site_url: str, days: int | None = None
) -> tuple[Invitation, str]:
    """Email a fresh link, valid for another ``days``: for a lost email or a lapsed link.

    The earlier link stops working (only the new token's hash is kept); answers already saved
    stay with the invitation and carry on through the new link."""
    current = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("assessment", "framework")
        .get(pk=invitation.pk)
    )
    if current.assessment is not None and not current.assessment.is_draft:
        raise ValidationError("This organisation has already submitted its answers.")
    days = (
        days
        if days is not None
        else getattr(settings, "DIAGNOSTICS_INVITATION_DAYS", INVITATION_DAYS)
    )
    token = secrets.token_urlsafe(32)
    current.token_hash = token_hash(token)
    current.expires_at = timezone.now() + timedelta(days=days)
    current.save(update_fields=["token_hash", "expires_at"])
    return current, _invitation_email(current, token, sender=sender, site_url=site_url)


def _invitation_email(invitation: Invitation, token: str, *, sender: User, site_url: str) -> str:
    """Email the invitation's link once the transaction commits; returns the link."""
    framework = invitation.framework
    link = site_url.rstrip("/") + reverse("diagnostics:invitation", kwargs={"token": token})
    inviter = sender.get_full_name()
    expires = timezone.localtime(invitation.expires_at).strftime("%-d %B %Y")
    body = (
        f"Hello,\n\n{inviter} at {settings.COUNCIL_NAME} has invited "
        f"{invitation.organisation_name} to complete the {framework.short_title} "
        f"self-assessment.\n\n"
        f"Open this link to start. You do not need an account, and you can save your answers "
        f"and come back to them through the same link until {expires}:\n\n{link}\n\n"
        f"Your organisation's results are shown to you when you submit. {settings.COUNCIL_NAME} "
        f"sees them only as part of anonymous counts across organisations, never by name.\n\n"
        f"Do not forward this email: anyone with the link can answer for your organisation.\n"
    )
    email_after_commit(
        subject=f"Invitation: {framework.short_title} self-assessment",
        body=body,
        to=invitation.email,
    )
    return link


@transaction.atomic
def invitation_start(*, invitation: Invitation, respondent_name: str) -> Assessment:
    """The invitee's first visit: their organisation and a draft assessment (once only)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.assessment is not None:
        return invitation.assessment
    organisation = organisation_for_invitee(
        name=invitation.organisation_name, kind=invitation.organisation_kind
    )
    assessment = assessment_start(
        framework=invitation.framework,
        organisation=organisation,
        respondent_name=respondent_name,
        respondent_email=invitation.email,
    )
    invitation.assessment = assessment
    invitation.save(update_fields=["assessment"])
    return assessment


# ---------------------------------------------------------------------------- spreadsheets

SHEET = "Answers"
HEADER_ROW = 7
FIRST_ROW = HEADER_ROW + 1
COLUMNS = ("Theme", "Question code", "Question", "Level", "Evidence")
CODE_COL, LEVEL_COL, EVIDENCE_COL = 2, 4, 5


def _text_cell(ws: Any, row: int, column: int, value: str) -> None:
    """Write text that stays text: a note starting with '=' is never taken for a formula."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    cell.data_type = "s"


def assessment_xlsx_export(*, assessment: Assessment) -> bytes:
    """The assessment as a workbook to complete offline; ``assessment_xlsx_import`` reads it."""
    # openpyxl on first use: every process imports this module at start (decision 0009)
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415
    from openpyxl.worksheet.datavalidation import DataValidation  # noqa: PLC0415

    spec = assessment.framework.spec
    answers = {a.question_code: a for a in assessment.answers.all()}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    meta: list[tuple[str, str | int]] = [
        ("Framework", spec.slug),
        ("Version", spec.version),
        ("Title", spec.title),
        ("Organisation", assessment.organisation.name if assessment.organisation else ""),
        (
            "How to fill in",
            "Choose a level in column D for each question (or leave it blank), "
            "add evidence in column E, and upload the file. Do not change "
            "cells B1, B2 or the question codes in column B.",
        ),
    ]
    for row, (label, value) in enumerate(meta, start=1):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        if isinstance(value, int):
            ws.cell(row=row, column=2, value=value)
        else:
            _text_cell(ws, row, 2, value)
    level_names = [level.name for level in spec.levels]
    headers = [*COLUMNS, *(f"{name} looks like" for name in level_names)]
    for column, title in enumerate(headers, start=1):
        ws.cell(row=HEADER_ROW, column=column, value=title).font = Font(bold=True)
    row = FIRST_ROW
    for theme, question in spec.questions():
        answer = answers.get(question.code)
        _text_cell(ws, row, 1, theme.title)
        _text_cell(ws, row, CODE_COL, question.code)
        _text_cell(ws, row, 3, question.text)
        level_name = spec.level(answer.level_code).name if answer and answer.level_code else ""
        if level_name:
            _text_cell(ws, row, LEVEL_COL, level_name)
        if answer and answer.evidence:
            _text_cell(ws, row, EVIDENCE_COL, answer.evidence)
        for offset, level in enumerate(spec.levels):
            _text_cell(ws, row, 6 + offset, question.descriptors[level.code])
        for column in range(1, len(headers) + 1):
            ws.cell(row=row, column=column).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    last = row - 1
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(level_names) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a level",
        error="Choose one of: " + ", ".join(level_names),
    )
    ws.add_data_validation(validation)
    validation.add(f"D{FIRST_ROW}:D{last}")
    widths = [28, 14, 60, 16, 60] + [40] * len(level_names)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = f"C{FIRST_ROW}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _where(cell: str) -> str:
    return f"Sheet '{SHEET}', cell {cell}"


# An answer sheet has a row per question (a few hundred at most); the limits leave room for
# notes and stray formatting but stop a workbook that would take the web process minutes.
ANSWER_SHEET_LIMITS = WorkbookLimits(
    max_rows=5_000, max_cells=200_000, max_uncompressed_bytes=50 * 1024**2
)


def _answer_sheet_rows(file: IO[bytes]) -> list[tuple[Any, ...]]:
    """The answer sheet's first columns, row by row, read once in openpyxl's read-only mode.

    The upload comes by invitation link, with no account: the workbook is checked for size
    and shape before it is parsed, and only the columns the answers use are kept.
    """
    # openpyxl on first use: every process imports this module at start (decision 0009)
    from openpyxl import load_workbook  # noqa: PLC0415

    not_xlsx = SpreadsheetRefused(
        "The file is not an Excel workbook (.xlsx). Download the spreadsheet from this "
        "page, fill it in and upload it again."
    )
    start = file.tell()
    if not zipfile.is_zipfile(file):
        raise not_xlsx
    file.seek(start)
    try:
        check_workbook(file, ANSWER_SHEET_LIMITS, what="spreadsheet")
    except WorkbookRefused as refusal:
        raise SpreadsheetRefused(str(refusal)) from None
    file.seek(start)
    try:
        wb = load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise not_xlsx from exc
    try:
        if SHEET not in wb.sheetnames:
            raise SpreadsheetRefused(
                f"The workbook has no sheet called '{SHEET}'. Use the spreadsheet downloaded "
                f"from this page."
            )
        ws = wb[SHEET]
        # The row count the sheet claims is not trusted (too many pads, too few drops rows).
        ws.reset_dimensions()
        limit = ANSWER_SHEET_LIMITS.max_rows
        # Read to one row past the limit: a row there means something far below the questions.
        rows = list(ws.iter_rows(max_col=EVIDENCE_COL, max_row=limit + 1, values_only=True))
    finally:
        wb.close()
    if len(rows) > limit:
        raise SpreadsheetRefused(
            f"Sheet '{SHEET}' has something in row {limit + 1:,} or below, far under the "
            "questions. Delete the rows below the last question (or copy the answers into a "
            "freshly downloaded spreadsheet) and upload it again."
        )
    return rows


def assessment_xlsx_read(
    *, assessment: Assessment, file: IO[bytes]
) -> dict[str, tuple[str | None, str]]:
    """Read an uploaded workbook into answers, refusing anything that does not belong here.

    Raises :class:`SpreadsheetRefused` naming the sheet and cell: another framework or
    version, an unknown or repeated question code, or a level the framework does not have.
    """
    spec = assessment.framework.spec
    rows = _answer_sheet_rows(file)

    def value(row: int, column: int) -> Any:
        cells = rows[row - 1] if row <= len(rows) else ()
        return cells[column - 1] if column <= len(cells) else None

    slug = _cell_text(value(1, 2)).strip()
    if slug != spec.slug:
        raise SpreadsheetRefused(
            f"{_where('B1')}: '{slug}' is not this assessment's framework; it uses "
            f"'{spec.slug}' ({spec.short_title}). Download the spreadsheet for this assessment."
        )
    version = _cell_text(value(2, 2)).strip()
    if version != str(spec.version):
        raise SpreadsheetRefused(
            f"{_where('B2')}: this spreadsheet is for version '{version}' of {spec.short_title}; "
            f"this assessment uses version {spec.version}. Download the spreadsheet again."
        )
    header = _cell_text(value(HEADER_ROW, CODE_COL)).strip()
    if header != COLUMNS[CODE_COL - 1]:
        raise SpreadsheetRefused(
            f"{_where(f'B{HEADER_ROW}')}: expected the heading '{COLUMNS[CODE_COL - 1]}'; "
            f"rows or columns have been moved. Download the spreadsheet again."
        )
    codes = {question.code for _, question in spec.questions()}
    by_name = {}
    for level in spec.levels:
        by_name[level.name.casefold()] = level.code
        by_name[level.code.casefold()] = level.code
    level_names = ", ".join(level.name for level in spec.levels)
    answers: dict[str, tuple[str | None, str]] = {}
    seen: dict[str, str] = {}
    for row in range(FIRST_ROW, len(rows) + 1):
        code = _cell_text(value(row, CODE_COL)).strip()
        level_value = _cell_text(value(row, LEVEL_COL)).strip()
        evidence = _cell_text(value(row, EVIDENCE_COL))
        code_cell = f"B{row}"
        if not code:
            if level_value or evidence.strip():
                raise SpreadsheetRefused(
                    f"{_where(code_cell)}: there is an answer in this row but no question code."
                )
            continue
        if code not in codes:
            raise SpreadsheetRefused(
                f"{_where(code_cell)}: '{code}' is not a question in version {spec.version} of "
                f"{spec.short_title}."
            )
        if code in seen:
            raise SpreadsheetRefused(
                f"{_where(code_cell)}: question '{code}' is already answered at {seen[code]}."
            )
        seen[code] = code_cell
        level_code: str | None = None
        if level_value:
            level_code = by_name.get(re.sub(r"\s+", " ", level_value).casefold())
            if level_code is None:
                raise SpreadsheetRefused(
                    f"{_where(f'D{row}')}: '{level_value}' is not a level of this framework. "
                    f"Use one of: {level_names} (or leave it blank)."
                )
        if len(normalise_evidence(evidence)) > EVIDENCE_MAX_CHARS:
            raise SpreadsheetRefused(
                f"{_where(f'E{row}')}: evidence must be {EVIDENCE_MAX_CHARS} characters or fewer."
            )
        answers[code] = (level_code, evidence)
    if not answers:
        raise SpreadsheetRefused(f"Sheet '{SHEET}' has no questions in it.")
    return answers


@transaction.atomic
def assessment_xlsx_import(*, assessment: Assessment, file: IO[bytes]) -> int:
    """Take the answers from an uploaded workbook; all or nothing. Returns answers written.

    Questions in the sheet are set to the sheet's values (a blank level clears the answer);
    questions missing from the sheet are left as they were.
    """
    _check_editable(assessment)
    answers = assessment_xlsx_read(assessment=assessment, file=file)
    return answer_save(assessment=assessment, answers=answers)
