"""Fixtures for self-assessment tests: the shipped frameworks as rows, and quick ways to
make organisations and submitted assessments."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from diagnostics import services
from diagnostics.models import Assessment, Framework, Organisation
from tests.factories import OrganisationFactory


@pytest.fixture
def frameworks(db: None) -> dict[str, Framework]:
    """The shipped frameworks, synced as `migrate` does (idempotent), keyed by slug."""
    services.frameworks_sync()
    return {f.slug: f for f in Framework.objects.all()}


@pytest.fixture
def svmi(frameworks: dict[str, Framework]) -> Framework:
    return frameworks["svmi"]


@pytest.fixture
def nps(frameworks: dict[str, Framework]) -> Framework:
    return frameworks["nps-2022"]


def make_assessment(
    framework: Framework,
    organisation: Organisation | None,
    answers: Mapping[str, str | None],
    *,
    submit: bool = True,
    evidence: Mapping[str, str] | None = None,
    label: str = "",
) -> Assessment:
    assessment = services.assessment_start(
        framework=framework,
        organisation=organisation,
        round_label=label,
        respondent_kind="" if organisation else "supplier",
    )
    evidence = evidence or {}
    services.answer_save(
        assessment=assessment,
        answers={code: (level, evidence.get(code, "")) for code, level in answers.items()},
    )
    if submit:
        assessment = services.assessment_submit(assessment=assessment)
    return assessment


@pytest.fixture
def submitted() -> Callable[..., Assessment]:
    return make_assessment


def all_at(framework: Framework, level_code: str) -> dict[str, str | None]:
    """Every question of the framework answered at one level."""
    return {q.code: level_code for _, q in framework.spec.questions()}


def peer(name: str) -> Organisation:
    return OrganisationFactory.create(name=name)
