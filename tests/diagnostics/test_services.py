"""Self-assessment services and selectors against the database: sync, answers, submission,
results (expected figures worked out here), rounds, peers, state of the nation, invitations.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from diagnostics import selectors, services
from diagnostics.framework_files import FRAMEWORKS_DIR
from diagnostics.models import Answer, Assessment, Framework, Invitation, Organisation
from tests.diagnostics.conftest import all_at, make_assessment, peer

pytestmark = pytest.mark.django_db

SVMI_SCORES = {"followers": 1, "mature": 2, "leaders": 3, "innovators": 4}
SVMI_NAMES = {
    "followers": "Followers",
    "mature": "Mature",
    "leaders": "Leaders",
    "innovators": "Innovators",
}
SVMI_THEMES = {
    "leadership-and-strategy": ["SV-LS1", "SV-LS2", "SV-LS3"],
    "buying-and-bidding": ["SV-BB1", "SV-BB2", "SV-BB3"],
    "measuring-and-reporting": ["SV-MR1", "SV-MR2", "SV-MR3"],
    "supply-chains-and-markets": ["SV-SC1", "SV-SC2"],
    "communities-and-partners": ["SV-CP1", "SV-CP2"],
    "learning-and-innovation": ["SV-LI1", "SV-LI2"],
}
LEVEL_BY_SCORE = {score: code for code, score in SVMI_SCORES.items()}

# A tie (2.5) in the first theme, a whole theme unanswered, and the top level reached.
MIXED = {
    "SV-LS1": "leaders",
    "SV-LS2": "mature",
    "SV-LS3": None,
    "SV-BB1": "innovators",
    "SV-BB2": "innovators",
    "SV-BB3": "leaders",
    "SV-MR1": None,
    "SV-MR2": None,
    "SV-MR3": None,
    "SV-SC1": "followers",
    "SV-SC2": "mature",
    "SV-CP1": "mature",
    "SV-CP2": "mature",
    "SV-LI1": "innovators",
    "SV-LI2": "innovators",
}


def hundredths(value: Fraction) -> Decimal:
    """value to 2 dp, half up, by integer arithmetic."""
    return Decimal((200 * value.numerator + value.denominator) // (2 * value.denominator)) / 100


def expected(answers: dict[str, str | None]) -> dict[str, tuple[Decimal | None, str | None]]:
    """Per theme and overall: (2 dp mean, level code), worked out from the rules."""
    out: dict[str, tuple[Decimal | None, str | None]] = {}
    means = []
    for slug, codes in SVMI_THEMES.items():
        scores = [SVMI_SCORES[level] for c in codes if (level := answers.get(c))]
        if not scores:
            out[slug] = (None, None)
            continue
        mean = Fraction(sum(scores), len(scores))
        means.append(mean)
        out[slug] = (hundredths(mean), LEVEL_BY_SCORE[sum(scores) // len(scores)])
    overall = sum(means, Fraction(0)) / len(means)
    out["overall"] = (hundredths(overall), LEVEL_BY_SCORE[overall.numerator // overall.denominator])
    return out


# ---------------------------------------------------------------------------- frameworks


def test_migrate_loaded_every_framework_file() -> None:
    files = sorted(p.name for p in FRAMEWORKS_DIR.glob("*.v*.json"))
    rows = sorted(f"{f.key}.json" for f in Framework.objects.all())
    assert rows == files
    svmi = Framework.objects.get(slug="svmi")
    assert svmi.public is True
    assert Framework.objects.get(slug="nps-2022").public is False
    assert svmi.spec.levels[0].name == "Followers"


def test_sync_is_idempotent_and_keeps_answered_versions(tmp_path: Path, svmi: Framework) -> None:
    report = services.frameworks_sync()
    assert report.created == ()
    assert report.updated == ()
    assert Framework.objects.count() == 3

    # A new framework is a new file: no code.
    data = json.loads((FRAMEWORKS_DIR / "svmi.v1.json").read_text())
    data.update(slug="svmi-lite", title="SVMI lite")
    (tmp_path / "svmi-lite.v1.json").write_text(json.dumps(data))
    assert services.frameworks_sync(directory=tmp_path).created == ("svmi-lite.v1",)
    assert services.frameworks_sync(directory=tmp_path).unchanged == ("svmi-lite.v1",)

    # A changed file for an answered version does not rewrite what was answered.
    make_assessment(svmi, None, {"SV-LS1": "mature"})
    changed = json.loads((FRAMEWORKS_DIR / "svmi.v1.json").read_text())
    changed["title"] = "Changed title"
    (tmp_path / "svmi.v1.json").write_text(json.dumps(changed))
    assert services.frameworks_sync(directory=tmp_path).kept == ("svmi.v1",)
    svmi.refresh_from_db()
    assert svmi.title != "Changed title"


def test_load_frameworks_command(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_frameworks")
    assert "Unchanged: cciaf.v1, nps-2022.v1, svmi.v1" in capsys.readouterr().out


# ---------------------------------------------------------------------------- answering


def test_save_resume_and_submit(nps: Framework, officer) -> None:
    host = services.organisation_host_ensure()
    assert services.organisation_host_ensure() == host  # one host
    assessment = services.assessment_start(framework=nps, organisation=host, created_by=officer)
    assert assessment.is_draft
    assert assessment.round_label
    services.answer_save(
        assessment=assessment,
        answers={"L1": ("mature", "Cabinet briefing\r\nminutes, May"), "L2": (None, "")},
    )
    services.answer_save(assessment=assessment, answers={"L2": ("leader", "  CMT papers  ")})
    saved = selectors.answers_for(assessment)
    assert saved["L1"].level_code == "mature"
    assert saved["L1"].evidence == "Cabinet briefing\nminutes, May"  # one kind of line break
    assert saved["L2"].level_code == "leader"
    assert saved["L2"].evidence == "CMT papers"
    progress = {
        p.theme.slug: (p.answered, p.total, p.status) for p in selectors.theme_progress(assessment)
    }
    assert progress["showing-leadership"] == (2, 4, "In progress")
    assert progress["behaving-commercially"] == (0, 4, "Not started")

    services.assessment_submit(assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert assessment.submitted_at
    with pytest.raises(services.AssessmentLocked):
        services.answer_save(assessment=assessment, answers={"L1": ("minimum", "")})
    with pytest.raises(services.AssessmentLocked):
        services.assessment_submit(assessment=assessment)


def test_answers_must_belong_to_the_framework(svmi: Framework) -> None:
    assessment = services.assessment_start(framework=svmi, organisation=None)
    with pytest.raises(services.DiagnosticsError, match="no question L1"):
        services.answer_save(assessment=assessment, answers={"L1": ("mature", "")})
    with pytest.raises(services.DiagnosticsError, match="'expert' is not a level"):
        services.answer_save(assessment=assessment, answers={"SV-LS1": ("expert", "")})
    assert not Answer.objects.exists()


def test_submit_needs_at_least_one_answer(svmi: Framework) -> None:
    assessment = services.assessment_start(framework=svmi, organisation=None)
    services.answer_save(assessment=assessment, answers={"SV-LS1": (None, "thinking")})
    with pytest.raises(services.DiagnosticsError, match="at least one question"):
        services.assessment_submit(assessment=assessment)


def test_only_public_frameworks_can_be_anonymous(nps: Framework) -> None:
    with pytest.raises(services.DiagnosticsError, match="anonymously"):
        services.assessment_start(framework=nps, organisation=None)


# ---------------------------------------------------------------------------- results


def test_results_match_hand_arithmetic_with_ties_and_unanswered(svmi: Framework) -> None:
    assessment = make_assessment(svmi, peer("Anyshire"), MIXED)
    result = selectors.assessment_results(assessment)
    want = expected(MIXED)
    for theme in result.themes:
        mean, level = want[theme.slug]
        assert theme.mean == mean, theme.slug
        assert (theme.level.code if theme.level else None) == level, theme.slug
    assert result.overall.level is not None
    assert (result.overall.mean, result.overall.level.code) == want["overall"]
    # Worked by hand too: the tie 2.5 is Mature; (5/2 + 11/3 + 3/2 + 2 + 4) / 5 = 41/15.
    assert want["leadership-and-strategy"] == (Decimal("2.50"), "mature")
    assert want["overall"] == (Decimal("2.73"), "mature")
    ls = result.theme("leadership-and-strategy")
    assert ls.unanswered_codes == ("SV-LS3",)
    assert ls.next_level is not None
    assert ls.next_level.code == "leaders"
    assert [s.question_code for s in ls.next_steps] == ["SV-LS2"]  # SV-LS1 is at Leaders already
    assert result.theme("learning-and-innovation").next_level is None
    assert result.theme("measuring-and-reporting").level is None
    assert (result.overall.answered, result.overall.unanswered) == (11, 4)


def test_random_rounds_score_as_computed_here(svmi: Framework) -> None:
    import random

    rng = random.Random(7)
    for _ in range(10):
        answers = {
            code: rng.choice([None, *SVMI_SCORES])
            for codes in SVMI_THEMES.values()
            for code in codes
        }
        answers["SV-LS1"] = "mature"  # at least one answer
        result = selectors.assessment_results(make_assessment(svmi, None, answers))
        want = expected(answers)
        got = {t.slug: (t.mean, t.level.code if t.level else None) for t in result.themes}
        assert result.overall.level is not None
        got["overall"] = (result.overall.mean, result.overall.level.code)
        assert got == want


def test_earlier_rounds_are_compared(svmi: Framework) -> None:
    org = peer("Anyshire")
    first = make_assessment(svmi, org, all_at(svmi, "mature"), label="2024")
    second = make_assessment(
        svmi, org, {**all_at(svmi, "mature"), "SV-LS1": "innovators"}, label="2025"
    )
    assert [r.assessment for r in selectors.earlier_rounds(second)] == [first]
    assert selectors.earlier_rounds(first) == []
    comparison = selectors.round_comparison(second)
    assert comparison is not None
    ls = next(c for c in comparison.themes if c.slug == "leadership-and-strategy")
    # (4 + 2 + 2) / 3 = 2.67 against 2.00
    assert (ls.earlier_mean, ls.current_mean, ls.delta) == (
        Decimal("2.00"),
        Decimal("2.67"),
        Decimal("0.67"),
    )
    assert ls.level_steps == 0
    # Another organisation's rounds are not this one's history.
    other = make_assessment(svmi, peer("Otherton"), all_at(svmi, "leaders"))
    assert selectors.earlier_rounds(other) == []


# ---------------------------------------------------------------------------- peers


def test_peers_hidden_at_four_and_shown_at_five(svmi: Framework) -> None:
    host = services.organisation_host_ensure()
    mine = make_assessment(svmi, host, all_at(svmi, "mature"))
    levels = ["followers", "mature", "mature", "leaders", "innovators"]
    for index, level in enumerate(levels[:4]):
        make_assessment(svmi, peer(f"Peer {index}"), all_at(svmi, level))
    # A peer's draft and the host's own earlier round do not count.
    make_assessment(svmi, peer("Drafting"), all_at(svmi, "leaders"), submit=False)
    make_assessment(svmi, host, all_at(svmi, "followers"))
    report = selectors.peer_report(mine)
    assert report.overall.released is False
    assert report.overall.counts is None
    assert report.overall.respondents == 4

    make_assessment(svmi, peer("Peer 4"), all_at(svmi, levels[4]))
    report = selectors.peer_report(mine)
    assert report.overall.released is True
    assert dict(report.overall.counts or ()) == {
        "followers": 1,
        "mature": 2,
        "leaders": 1,
        "innovators": 1,
    }


def test_a_peer_counts_once_with_its_latest_round(svmi: Framework) -> None:
    host = services.organisation_host_ensure()
    mine = make_assessment(svmi, host, all_at(svmi, "mature"))
    for index in range(4):
        make_assessment(svmi, peer(f"Peer {index}"), all_at(svmi, "mature"))
    repeat = Organisation.objects.get(name="Peer 0")
    make_assessment(svmi, repeat, all_at(svmi, "innovators"))
    assert selectors.peer_report(mine).overall.released is False  # still four organisations
    make_assessment(svmi, peer("Peer 9"), all_at(svmi, "mature"))
    counts = dict(selectors.peer_report(mine).overall.counts or ())
    assert counts == {"followers": 0, "mature": 4, "leaders": 0, "innovators": 1}


def test_state_of_the_nation_counts_anonymous_responses(svmi: Framework, settings: Any) -> None:
    # These responses are made in an instant; the least time a counted one takes is tested in
    # tests/security/test_data.py.
    settings.SVMI_PUBLIC_MIN_SECONDS = 0
    for _ in range(3):
        make_assessment(svmi, None, all_at(svmi, "followers"))
    make_assessment(svmi, None, all_at(svmi, "leaders"), submit=False)  # a draft: not counted
    org = peer("Anyshire")
    make_assessment(svmi, org, all_at(svmi, "followers"))
    make_assessment(svmi, org, all_at(svmi, "mature"))  # only the latest round counts
    nation = selectors.state_of_the_nation(svmi)
    assert (nation.responses, nation.organisations, nation.anonymous) == (4, 1, 3)
    assert nation.report.overall.released is False
    make_assessment(svmi, None, all_at(svmi, "innovators"))
    nation = selectors.state_of_the_nation(svmi)
    assert dict(nation.report.overall.counts or ()) == {
        "followers": 3,
        "mature": 1,
        "leaders": 0,
        "innovators": 1,
    }
    assert [n.framework for n in selectors.state_of_the_nation_all()] == [svmi]


# ---------------------------------------------------------------------------- invitations


def test_invitation_emails_a_link_and_stores_only_a_hash(
    nps: Framework, officer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation, link = services.invitation_create(
            email="Buyer@Otherton.gov.uk",
            organisation_name="  Otherton   Borough Council ",
            organisation_kind="council",
            framework=nps,
            invited_by=officer,
            site_url="https://portal.example.gov.uk/",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@otherton.gov.uk"]
    assert link in message.body
    token = re.fullmatch(r"https://portal\.example\.gov\.uk/diagnostics/invitations/([^/]+)/", link)
    assert token
    assert token[1] not in invitation.token_hash
    assert invitation.organisation_name == "Otherton Borough Council"
    assert selectors.invitation_by_token(token[1]) == invitation

    assessment = services.invitation_start(invitation=invitation, respondent_name="Ann Buyer")
    assert services.invitation_start(invitation=invitation, respondent_name="Ann") == assessment
    assert assessment.organisation is not None
    assert assessment.organisation.name == "Otherton Borough Council"
    assert not assessment.organisation.is_host
    assert assessment.respondent_email == "buyer@otherton.gov.uk"
    assert assessment.created_by is None


def test_tampered_and_expired_tokens_are_refused(nps: Framework, officer) -> None:
    invitation, link = services.invitation_create(
        email="a@b.gov.uk",
        organisation_name="B",
        organisation_kind="council",
        framework=nps,
        invited_by=officer,
        site_url="http://testserver",
    )
    token = link.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(selectors.InvitationInvalid):
        selectors.invitation_by_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(selectors.InvitationExpired):
        selectors.invitation_by_token(token)


def test_a_submitted_invitation_gets_no_new_link(nps: Framework, officer) -> None:
    invitation, link = services.invitation_create(
        email="a@b.gov.uk",
        organisation_name="B",
        organisation_kind="council",
        framework=nps,
        invited_by=officer,
        site_url="http://testserver",
    )
    assessment = services.invitation_start(invitation=invitation, respondent_name="Ann")
    services.answer_save(assessment=assessment, answers={"L1": ("mature", "")})
    _, fresh = services.invitation_resend(
        invitation=invitation, sender=officer, site_url="http://testserver"
    )
    assert fresh != link
    assert selectors.invitation_by_token(fresh.rstrip("/").rsplit("/", 1)[1]) == invitation
    services.assessment_submit(assessment=assessment)
    with pytest.raises(ValidationError, match="already submitted"):
        services.invitation_resend(
            invitation=invitation, sender=officer, site_url="http://testserver"
        )
