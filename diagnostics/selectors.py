"""Reads for self-assessment: frameworks, assessments, results, earlier rounds, peers and the
state of the nation. Every figure comes from ``diagnostics.scoring``; nothing is scored here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from diagnostics import scoring
from diagnostics.framework_files import Theme
from diagnostics.models import Answer, Assessment, Framework, Invitation, Organisation
from diagnostics.services import token_hash


class InvitationInvalid(Exception):
    """No invitation has this token (mistyped, cut short or tampered with)."""


class InvitationExpired(Exception):
    def __init__(self, invitation: Invitation) -> None:
        self.invitation = invitation
        super().__init__("This invitation has expired.")


# ---------------------------------------------------------------------------- frameworks


def frameworks_current(*, public_only: bool = False) -> list[Framework]:
    """The newest version of each framework, in title order: what a new round uses."""
    rows = Framework.objects.all()
    if public_only:
        rows = rows.filter(public=True)
    latest: dict[str, Framework] = {}
    for row in rows:
        if row.slug not in latest or row.version > latest[row.slug].version:
            latest[row.slug] = row
    return sorted(latest.values(), key=lambda f: f.short_title)


def framework_current(slug: str) -> Framework | None:
    return Framework.objects.filter(slug=slug).order_by("-version").first()


# ---------------------------------------------------------------------------- assessments


def host_organisation() -> Organisation | None:
    return Organisation.objects.filter(is_host=True).first()


def host_assessments() -> QuerySet[Assessment]:
    """The portal's own council's rounds, newest first, with their answered counts."""
    return (
        Assessment.objects.filter(organisation__is_host=True)
        .select_related("framework", "created_by")
        .annotate(answered=Count("answers", filter=Q(answers__level_code__isnull=False)))
        .order_by("-created_at")
    )


def invitations_sent() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("framework", "invited_by", "assessment").order_by(
        "-created_at"
    )


def invitation_by_token(token: str) -> Invitation:
    """The invitation a link's token opens; refuses unknown and expired links."""
    invitation = (
        Invitation.objects.select_related("framework", "assessment", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationInvalid(token)
    if invitation.expires_at <= timezone.now():
        raise InvitationExpired(invitation)
    return invitation


def answers_for(assessment: Assessment) -> dict[str, Answer]:
    return {answer.question_code: answer for answer in assessment.answers.all()}


def answer_levels(assessment: Assessment) -> dict[str, str | None]:
    """Question code -> level code (None when unanswered), as the scoring functions take."""
    return dict(assessment.answers.values_list("question_code", "level_code"))


@dataclass(frozen=True)
class ThemeProgress:
    theme: Theme
    answered: int
    total: int

    @property
    def status(self) -> str:
        if self.answered == 0:
            return "Not started"
        if self.answered < self.total:
            return "In progress"
        return "Completed"


def theme_progress(assessment: Assessment) -> list[ThemeProgress]:
    levels = answer_levels(assessment)
    return [
        ThemeProgress(
            theme=theme,
            answered=sum(1 for q in theme.questions if levels.get(q.code)),
            total=len(theme.questions),
        )
        for theme in assessment.framework.spec.themes
    ]


# ---------------------------------------------------------------------------- results


def assessment_results(assessment: Assessment) -> scoring.AssessmentResult:
    return scoring.score_assessment(assessment.framework.spec, answer_levels(assessment))


@dataclass(frozen=True)
class EarlierRound:
    assessment: Assessment
    result: scoring.AssessmentResult


def earlier_rounds(assessment: Assessment) -> list[EarlierRound]:
    """The same organisation's submitted rounds of the same framework before this one,
    newest first (any version of the framework)."""
    if assessment.organisation_id is None:
        return []
    rows = (
        Assessment.objects.filter(
            organisation_id=assessment.organisation_id,
            framework__slug=assessment.framework.slug,
            status=Assessment.Status.SUBMITTED,
        )
        .exclude(pk=assessment.pk)
        .select_related("framework")
        .order_by("-submitted_at")
    )
    if assessment.submitted_at is not None:
        rows = rows.filter(submitted_at__lt=assessment.submitted_at)
    return [EarlierRound(row, assessment_results(row)) for row in rows]


def round_comparison(assessment: Assessment) -> scoring.RoundComparison | None:
    """This round against the organisation's latest earlier round, if there is one."""
    earlier = earlier_rounds(assessment)
    if not earlier:
        return None
    return scoring.compare_rounds(earlier[0].result, assessment_results(assessment))


def _latest_submitted_per_organisation(framework: Framework) -> list[Assessment]:
    """Each organisation's latest submitted round of exactly this framework version."""
    rows = (
        Assessment.objects.filter(
            framework=framework,
            status=Assessment.Status.SUBMITTED,
            organisation__isnull=False,
        )
        .order_by("organisation_id", "-submitted_at", "-pk")
        .distinct("organisation_id")
    )
    return list(rows)


def peer_report(assessment: Assessment) -> scoring.DistributionReport:
    """How other organisations placed on the same framework version: counts only, never
    names, and withheld below ``scoring.MINIMUM_PEERS`` organisations."""
    framework = assessment.framework
    peers = [
        scoring.PeerLevels.from_result(row.organisation_id, assessment_results(row))
        for row in _latest_submitted_per_organisation(framework)
    ]
    return scoring.peer_distribution(framework.spec, peers, exclude=assessment.organisation_id)


@dataclass(frozen=True)
class NationReport:
    framework: Framework
    responses: int
    organisations: int
    anonymous: int
    report: scoring.DistributionReport
    anonymous_set_aside: int = 0  # submitted too soon after starting to be a person's answers


def state_of_the_nation(framework: Framework) -> NationReport:
    """Across every response to this framework version: each organisation's latest submitted
    round (the host's included) and every plausible anonymous response.

    An anonymous response counts only if it was submitted at least
    ``SVMI_PUBLIC_MIN_SECONDS`` after it was started (starts are also limited per client):
    scripted submissions would otherwise move the national picture. The rest are counted
    apart and said to be set aside."""
    named = _latest_submitted_per_organisation(framework)
    submitted = Assessment.objects.filter(
        framework=framework, status=Assessment.Status.SUBMITTED, organisation__isnull=True
    )
    quickest = dt.timedelta(seconds=settings.SVMI_PUBLIC_MIN_SECONDS)
    anonymous = list(submitted.filter(submitted_at__gte=F("created_at") + quickest))
    set_aside = submitted.count() - len(anonymous)
    results = [assessment_results(row) for row in [*named, *anonymous]]
    return NationReport(
        framework=framework,
        responses=len(results),
        organisations=len(named),
        anonymous=len(anonymous),
        report=scoring.state_of_the_nation(framework.spec, results),
        anonymous_set_aside=set_aside,
    )


def state_of_the_nation_all() -> list[NationReport]:
    """One report per framework version that has at least one submitted response."""
    frameworks = (
        Framework.objects.filter(assessments__status=Assessment.Status.SUBMITTED)
        .distinct()
        .order_by("short_title", "-version")
    )
    return [state_of_the_nation(framework) for framework in frameworks]


@dataclass(frozen=True)
class LatestResult:
    assessment: Assessment
    result: scoring.AssessmentResult
    # The round before it (same framework), for the comparison the committee asks for.
    previous: Assessment | None = None
    previous_result: scoring.AssessmentResult | None = None


def latest_host_results(as_at: dt.date | None = None) -> list[LatestResult]:
    """The host council's latest submitted round of each framework, scored, with the round
    before it (for the report); with ``as_at``, only rounds submitted by the end of that day."""
    latest: dict[str, list[Assessment]] = {}
    rounds = (
        Assessment.objects.filter(organisation__is_host=True, status=Assessment.Status.SUBMITTED)
        .select_related("framework")
        .order_by("-submitted_at", "-pk")
    )
    if as_at is not None:
        rounds = rounds.filter(submitted_at__date__lte=as_at)
    for assessment in rounds:
        kept = latest.setdefault(assessment.framework.slug, [])
        if len(kept) < 2:
            kept.append(assessment)
    found = []
    for kept in sorted(latest.values(), key=lambda k: k[0].framework.short_title):
        previous = kept[1] if len(kept) > 1 else None
        found.append(
            LatestResult(
                kept[0],
                assessment_results(kept[0]),
                previous,
                assessment_results(previous) if previous else None,
            )
        )
    return found
