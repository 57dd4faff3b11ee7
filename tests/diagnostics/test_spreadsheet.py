"""The XLSX round-trip: download, fill in offline, upload. Answers come back exactly; a sheet
that does not belong to the assessment is refused with the cell named."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from openpyxl import Workbook, load_workbook

from diagnostics import selectors, services
from diagnostics.models import Assessment, Framework
from tests.diagnostics.conftest import make_assessment

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "L1": 'Cabinet minutes, 12 March.\nScrutiny report: "Contracts Q3" — £1.2m',
    "L2": "=SUM(A1:A9) is not a formula here",
    "L3": "+44 1772 000000; @mention; -dash; tab\there",
    "C1": "Ünïcödé ✓ 日本語",
    "C2": "  ",  # stored as blank
}


def snapshot(assessment: Assessment) -> dict[str, tuple[str | None, str]]:
    return {a.question_code: (a.level_code, a.evidence) for a in assessment.answers.all()}


def workbook(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def upload(assessment: Assessment, wb: Workbook) -> int:
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return services.assessment_xlsx_import(assessment=assessment, file=out)


def code_row(ws, code: str) -> int:
    for row in range(8, ws.max_row + 1):
        if ws.cell(row=row, column=2).value == code:
            return row
    raise AssertionError(code)


@pytest.fixture
def draft(nps: Framework) -> Assessment:
    levels = [level.code for level in nps.spec.levels]
    answers: dict[str, str | None] = {}
    for index, (_, question) in enumerate(nps.spec.questions()):
        answers[question.code] = None if index % 4 == 3 else levels[index % len(levels)]
    return make_assessment(
        nps, services.organisation_host_ensure(), answers, submit=False, evidence=EVIDENCE
    )


def test_round_trip_reproduces_the_answers_exactly(draft: Assessment) -> None:
    before = snapshot(draft)
    assert before["L2"][1].startswith("=")  # the awkward cases are really there
    content = services.assessment_xlsx_export(assessment=draft)
    ws = workbook(content)["Answers"]
    assert (ws["B1"].value, ws["B2"].value) == ("nps-2022", 1)
    assert ws.cell(row=code_row(ws, "L2"), column=5).data_type == "s"  # text, never a formula

    # Into a fresh draft of the same framework: everything comes back as it was.
    other = make_assessment(draft.framework, services.organisation_host_ensure(), {}, submit=False)
    count = services.assessment_xlsx_import(assessment=other, file=io.BytesIO(content))
    assert count == sum(len(t.questions) for t in draft.framework.spec.themes)
    after = {code: value for code, value in snapshot(other).items() if value != (None, "")}
    assert after == {code: value for code, value in before.items() if value != (None, "")}
    # And exporting the copy gives the same cells.
    again = workbook(services.assessment_xlsx_export(assessment=other))["Answers"]
    assert [[c.value for c in r] for r in again.iter_rows(min_row=7)] == [
        [c.value for c in r] for r in ws.iter_rows(min_row=7)
    ]


def test_changes_made_offline_are_taken(draft: Assessment) -> None:
    wb = workbook(services.assessment_xlsx_export(assessment=draft))
    ws = wb["Answers"]
    ws.cell(row=code_row(ws, "L1"), column=4).value = "  innovator "  # any case, spaces
    ws.cell(row=code_row(ws, "L2"), column=4).value = None  # clears the answer
    ws.cell(row=code_row(ws, "L3"), column=4).value = "Developing"
    ws.cell(row=code_row(ws, "L3"), column=5).value = "New note"
    upload(draft, wb)
    answers = selectors.answers_for(draft)
    assert answers["L1"].level_code == "innovator"
    assert answers["L2"].level_code is None
    assert (answers["L3"].level_code, answers["L3"].evidence) == ("developing", "New note")


Edit = Callable[[Workbook], None]


def _set(cell: str, value: object) -> Edit:
    def edit(wb: Workbook) -> None:
        wb["Answers"][cell] = value

    return edit


def _level(code: str, value: str) -> Edit:
    def edit(wb: Workbook) -> None:
        ws = wb["Answers"]
        ws.cell(row=code_row(ws, code), column=4).value = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _level("L3", "Expert"),
            "Sheet 'Answers', cell D10: 'Expert' is not a level of this framework. Use one of: "
            "Minimum, Developing, Mature, Leader, Innovator (or leave it blank).",
        ),
        (
            _set("B9", "L99"),
            "Sheet 'Answers', cell B9: 'L99' is not a question in version 1 of "
            "National Procurement Strategy 2022.",
        ),
        (_set("B9", "L1"), "Sheet 'Answers', cell B9: question 'L1' is already answered at B8."),
        (_set("B2", 2), "Sheet 'Answers', cell B2: this spreadsheet is for version '2'"),
        (
            _set("B1", "cciaf"),
            "Sheet 'Answers', cell B1: 'cciaf' is not this assessment's framework",
        ),
        (_set("B7", "Code"), "Sheet 'Answers', cell B7: expected the heading 'Question code'"),
    ],
)
def test_refusals_name_the_cell_and_change_nothing(
    draft: Assessment, edit: Edit, message: str
) -> None:
    before = snapshot(draft)
    wb = workbook(services.assessment_xlsx_export(assessment=draft))
    ws = wb["Answers"]
    assert (ws["B8"].value, ws["B9"].value, ws["B10"].value) == ("L1", "L2", "L3")
    ws.cell(row=8, column=4).value = "Innovator"  # a good change the refusal must not keep
    edit(wb)
    with pytest.raises(services.SpreadsheetRefused) as refused:
        upload(draft, wb)
    assert str(refused.value).startswith(message)
    assert snapshot(draft) == before


def test_a_spreadsheet_for_another_framework_is_refused(draft: Assessment, svmi: Framework) -> None:
    other = make_assessment(svmi, services.organisation_host_ensure(), {}, submit=False)
    content = services.assessment_xlsx_export(assessment=other)
    with pytest.raises(services.SpreadsheetRefused, match="cell B1: 'svmi' is not"):
        services.assessment_xlsx_import(assessment=draft, file=io.BytesIO(content))


def test_not_a_workbook_and_missing_sheet(draft: Assessment) -> None:
    with pytest.raises(services.SpreadsheetRefused, match="not an Excel workbook"):
        services.assessment_xlsx_import(assessment=draft, file=io.BytesIO(b"L1,mature\n"))
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Sheet1"
    with pytest.raises(services.SpreadsheetRefused, match="no sheet called 'Answers'"):
        upload(draft, wb)


def test_a_submitted_assessment_takes_no_upload(draft: Assessment) -> None:
    content = services.assessment_xlsx_export(assessment=draft)
    services.assessment_submit(assessment=draft)
    draft.refresh_from_db()
    with pytest.raises(services.AssessmentLocked):
        services.assessment_xlsx_import(assessment=draft, file=io.BytesIO(content))
