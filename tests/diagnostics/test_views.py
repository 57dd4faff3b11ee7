"""Self-assessment pages: access by role, save and resume, submit, results figures, peers
at four and five, invitation links (good, tampered, expired), the public SVMI test, and the
spreadsheet pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnostics import services
from diagnostics.models import Assessment, Framework, Invitation
from tests.diagnostics.conftest import all_at, make_assessment, peer

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "diagnostics:home",
    "diagnostics:start",
    "diagnostics:invite",
    "diagnostics:state-of-the-nation",
]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---------------------------------------------------------------------------- access


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_officers_and_administrators_only(
    name, officer, administrator, councillor, frameworks
) -> None:
    url = reverse(name)
    assert signed_in(officer).get(url).status_code == 200
    assert signed_in(administrator).get(url).status_code == 200
    assert signed_in(councillor).get(url).status_code == 403
    response = Client().get(url)
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_assessment_pages_are_for_staff_and_only_the_host_councils(
    officer, councillor, svmi: Framework
) -> None:
    own = make_assessment(svmi, services.organisation_host_ensure(), all_at(svmi, "mature"))
    other = make_assessment(svmi, peer("Otherton"), all_at(svmi, "mature"))
    for step in ("assessment", "assessment-results", "assessment-xlsx"):
        assert (
            signed_in(officer).get(reverse(f"diagnostics:{step}", args=[own.pk])).status_code == 200
        )
        assert (
            signed_in(councillor).get(reverse(f"diagnostics:{step}", args=[own.pk])).status_code
            == 403
        )
        # Another organisation's answers are never opened by id.
        assert (
            signed_in(officer).get(reverse(f"diagnostics:{step}", args=[other.pk])).status_code
            == 404
        )


# ---------------------------------------------------------------------------- answering


def test_start_save_resume_and_submit(officer, nps: Framework) -> None:
    client = signed_in(officer)
    response = client.post(
        reverse("diagnostics:start"), {"framework": str(nps.pk), "round_label": "2025 baseline"}
    )
    assessment = Assessment.objects.get()
    assert assessment.organisation is not None
    assert assessment.organisation.is_host
    assert assessment.created_by == officer
    assert response["Location"] == reverse(
        "diagnostics:assessment-theme", args=[assessment.pk, "showing-leadership"]
    )

    page = client.get(response["Location"])
    body = page.content.decode()
    assert "Showing leadership" in body
    # Each level's descriptor is the radio's hint.
    assert 'aria-describedby="level-L1-mature-hint"' in body
    descriptor = nps.spec.theme("showing-leadership").questions[0].descriptors["mature"]
    assert descriptor.replace("'", "&#x27;") in body

    theme_url = response["Location"]
    response = client.post(
        theme_url,
        {
            "level-L1": "mature",
            "evidence-L1": "Cabinet minutes",
            "level-L2": "leader",
            "level-L3": "",
            "level-L4": "",
            "action": "later",
        },
    )
    assert response["Location"] == reverse("diagnostics:home")
    assert "Continue" in text(client.get(reverse("diagnostics:home")))

    # Resuming shows what was saved.
    body = client.get(theme_url).content.decode()
    assert re.search(r'id="level-L1-mature"[^>]*checked', body)
    assert "Cabinet minutes</textarea>" in body
    overview = text(client.get(reverse("diagnostics:assessment", args=[assessment.pk])))
    assert "2 of 4 questions answered" in overview

    response = client.post(
        theme_url,
        {
            "level-L1": "mature",
            "evidence-L1": "Cabinet minutes",
            "level-L2": "leader",
            "action": "continue",
        },
    )
    assert response["Location"] == reverse(
        "diagnostics:assessment-theme", args=[assessment.pk, "behaving-commercially"]
    )
    last = nps.spec.themes[-1]
    response = client.post(
        reverse("diagnostics:assessment-theme", args=[assessment.pk, last.slug]),
        {"action": "continue"},
    )
    assert response["Location"] == reverse("diagnostics:assessment-check", args=[assessment.pk])

    check = text(client.get(response["Location"]))
    assert "L1: How involved are councillors" in check
    assert "Mature" in check
    assert f"{sum(len(t.questions) for t in nps.spec.themes) - 2} questions not answered" in check
    response = client.post(reverse("diagnostics:assessment-check", args=[assessment.pk]))
    assert response["Location"] == reverse("diagnostics:assessment-results", args=[assessment.pk])
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED

    # Submitted answers are final: the theme page sends you to the results.
    response = client.post(theme_url, {"level-L1": "minimum", "action": "continue"})
    assert response["Location"].endswith("/results/")
    assert assessment.answers.get(question_code="L1").level_code == "mature"


def test_theme_page_errors_are_summarised_and_linked(officer, nps: Framework) -> None:
    assessment = make_assessment(nps, services.organisation_host_ensure(), {}, submit=False)
    url = reverse("diagnostics:assessment-theme", args=[assessment.pk, "showing-leadership"])
    response = signed_in(officer).post(
        url, {"level-L1": "expert", "evidence-L2": "x" * 5001, "action": "continue"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'href="#level-L1-minimum">Choose a level for L1 from the list' in body
    assert 'href="#id_evidence-L2">Evidence for L2 must be 5000 characters or fewer' in body
    assert not assessment.answers.exists()


def test_submit_with_nothing_answered_is_refused(officer, nps: Framework) -> None:
    assessment = make_assessment(nps, services.organisation_host_ensure(), {}, submit=False)
    response = signed_in(officer).post(
        reverse("diagnostics:assessment-check", args=[assessment.pk])
    )
    assert response.status_code == 400
    assert "Answer at least one question" in text(response)


def test_unknown_theme_is_404(officer, nps: Framework) -> None:
    assessment = make_assessment(nps, services.organisation_host_ensure(), {}, submit=False)
    url = reverse("diagnostics:assessment-theme", args=[assessment.pk, "no-such-theme"])
    assert signed_in(officer).get(url).status_code == 404


# ---------------------------------------------------------------------------- results


def test_results_page_figures(officer, svmi: Framework) -> None:
    # Leadership: Leaders(3), Mature(2), unanswered -> 5/2 = 2.50, a tie placed at Mature.
    # Buying: 4, 4, 3 -> 11/3 = 3.67, Leaders. Measuring: nothing answered.
    answers = {
        "SV-LS1": "leaders",
        "SV-LS2": "mature",
        "SV-BB1": "innovators",
        "SV-BB2": "innovators",
        "SV-BB3": "leaders",
    }
    assessment = make_assessment(svmi, services.organisation_host_ensure(), answers)
    response = signed_in(officer).get(
        reverse("diagnostics:assessment-results", args=[assessment.pk])
    )
    page = text(response)
    assert "Leadership and strategy 2 of 3 2.50 Mature Leaders" in page
    assert "Buying and bidding 3 of 3 3.67 Leaders Innovators" in page
    assert "Measuring and reporting 0 of 3 \N{EN DASH} No level \N{EN DASH}" in page
    # Overall: (5/2 + 11/3) / 2 = 37/12 = 3.083 -> 3.08, Leaders.
    assert "Overall 5 of 15 3.08 Leaders Innovators" in page
    body = response.content.decode()
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", body, flags=re.S)
    assert svg
    assert '<title id="results-chart-title">' in svg[0]
    assert ">3.67</text>" in svg[0]
    # What the next level asks for: SV-LS2 (at Mature) needs the Leaders descriptor.
    assert svmi.spec.theme("leadership-and-strategy").questions[1].descriptors["leaders"] in page
    assert "first submitted round" in page


def test_results_compare_with_the_earlier_round(officer, svmi: Framework) -> None:
    host = services.organisation_host_ensure()
    make_assessment(svmi, host, all_at(svmi, "mature"), label="2024 round")
    latest = make_assessment(svmi, host, all_at(svmi, "leaders"), label="2025 round")
    page = text(signed_in(officer).get(reverse("diagnostics:assessment-results", args=[latest.pk])))
    assert "Change since 2024 round" in page
    assert "Leadership and strategy 2.00 3.00 +1.00 +1" in page
    assert "Overall 2.00 3.00 +1.00 +1" in page


def test_peer_figures_hidden_at_four_and_shown_at_five(officer, svmi: Framework) -> None:
    mine = make_assessment(svmi, services.organisation_host_ensure(), all_at(svmi, "mature"))
    url = reverse("diagnostics:assessment-results", args=[mine.pk])
    for index in range(4):
        make_assessment(svmi, peer(f"Secret Peer {index}"), all_at(svmi, "leaders"))
    page = text(signed_in(officer).get(url))
    assert "Fewer than 5 other organisations have submitted this self-assessment (4 so far)" in page
    assert "Other organisations at each level" not in page

    make_assessment(svmi, peer("Secret Peer 4"), all_at(svmi, "followers"))
    page = text(signed_in(officer).get(url))
    assert "Fewer than 5 other organisations" not in page
    assert "Other organisations at each level" in page
    # Overall: Followers 1, Mature 0 (ours is marked but we are not our own peer), Leaders 4.
    assert "Overall 1 0 (your level) ◆ 4 0 5" in page
    assert "Secret Peer" not in page


def test_state_of_the_nation_page(officer, svmi: Framework, settings) -> None:
    # Responses made in an instant: the least time a counted one takes is tested in
    # tests/security/test_data.py.
    settings.SVMI_PUBLIC_MIN_SECONDS = 0
    for _ in range(4):
        make_assessment(svmi, None, all_at(svmi, "followers"))
    client = signed_in(officer)
    page = text(client.get(reverse("diagnostics:state-of-the-nation")))
    assert "4 responses: 0 from named organisations, 4 anonymous" in page
    assert "Fewer than 5 responses so far" in page
    make_assessment(svmi, peer("Named Council"), all_at(svmi, "innovators"))
    page = text(client.get(reverse("diagnostics:state-of-the-nation")))
    assert "Overall 4 0 0 1 5" in page
    assert "Named Council" not in page


# ---------------------------------------------------------------------------- invitations


def _invite(client: Client, framework: Framework, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("diagnostics:invite"),
            {
                "email": "buyer@otherton.gov.uk",
                "organisation_name": "Otherton Council",
                "organisation_kind": "council",
                "framework": str(framework.pk),
            },
        )
    assert response.status_code == 302
    link = re.search(
        r"http://testserver(/diagnostics/invitations/[^/\s]+/)", str(mail.outbox[-1].body)
    )
    assert link
    return link[1]


def test_invite_form_errors(officer, nps: Framework) -> None:
    response = signed_in(officer).post(reverse("diagnostics:invite"), {"email": "not-an-email"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="#id_email">Enter an email address in the correct format' in body
    assert 'href="#id_organisation_name">Enter the name of their organisation' in body
    assert 'href="#id_framework_0">Choose a self-assessment' in body
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_invitee_answers_without_an_account(
    officer, svmi: Framework, django_capture_on_commit_callbacks
) -> None:
    path = _invite(signed_in(officer), svmi, django_capture_on_commit_callbacks)
    invitee = Client()  # no account, not signed in
    landing = invitee.get(path)
    assert landing.status_code == 200
    assert "Otherton Council" in text(landing)
    response = invitee.post(path, {"respondent_name": "Ann Buyer"})
    assessment = Assessment.objects.get()
    assert assessment.organisation is not None
    assert assessment.organisation.name == "Otherton Council"
    assert assessment.created_by is None
    assert response["Location"] == f"{path}themes/leadership-and-strategy/"
    response = invitee.post(response["Location"], {"level-SV-LS1": "leaders", "action": "later"})
    assert response["Location"] == path
    assert "Come back to them through the link" in text(invitee.get(path))
    assert invitee.post(f"{path}check/")["Location"] == f"{path}results/"
    results = text(invitee.get(f"{path}results/"))
    assert "Leadership and strategy 1 of 3 3.00 Leaders" in results
    assert "Fewer than 5 other organisations" in results
    # The inviting council sees the status, not the answers.
    home = text(signed_in(officer).get(reverse("diagnostics:home")))
    assert "Otherton Council" in home
    assert "Submitted" in home


def test_tampered_and_expired_links_are_refused(
    officer, svmi: Framework, django_capture_on_commit_callbacks
) -> None:
    path = _invite(signed_in(officer), svmi, django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-2] + ("xx" if token[-2:] != "xx" else "yy"))
    for url in (tampered, f"{tampered}themes/leadership-and-strategy/", f"{tampered}results/"):
        response = Client().get(url)
        assert response.status_code == 404
        assert "This invitation link is not valid" in text(response)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    for url in (path, f"{path}check/"):
        response = Client().post(url, {"respondent_name": "Late"})
        assert response.status_code == 403
        assert "This invitation link has expired" in text(response)
    assert not Assessment.objects.exists()


# ---------------------------------------------------------------------------- public SVMI


def test_public_svmi_quick_test_anonymously(svmi: Framework, officer, settings) -> None:
    settings.SVMI_PUBLIC_MIN_SECONDS = 0  # answered in an instant here
    client = Client()
    start = client.get(reverse("diagnostics:public-svmi"))
    assert start.status_code == 200
    assert "Followers" in text(start)
    assert client.get(reverse("diagnostics:public-svmi-check"))["Location"] == reverse(
        "diagnostics:public-svmi"
    )
    response = client.post(reverse("diagnostics:public-svmi"), {"respondent_kind": "supplier"})
    assessment = Assessment.objects.get()
    assert assessment.organisation is None
    assert assessment.respondent_kind == "supplier"
    for theme in svmi.spec.themes:
        response = client.post(
            response["Location"],
            {f"level-{q.code}": "mature" for q in theme.questions} | {"action": "continue"},
        )
    assert response["Location"] == reverse("diagnostics:public-svmi-check")
    response = client.post(response["Location"])
    results = text(client.get(response["Location"]))
    assert "Overall 15 of 15 2.00 Mature Leaders" in results
    assert "Compared with other organisations" not in results  # anonymous: no peers
    # Counted in the state of the nation.
    page = text(signed_in(officer).get(reverse("diagnostics:state-of-the-nation")))
    assert "1 response: 0 from named organisations, 1 anonymous" in page
    # Another browser cannot see this response.
    assert Client().get(reverse("diagnostics:public-svmi-results")).status_code == 302


def test_public_test_needs_a_kind_of_organisation(svmi: Framework) -> None:
    response = Client().post(reverse("diagnostics:public-svmi"), {})
    assert 'href="#id_respondent_kind_0">Choose what kind of organisation' in (
        response.content.decode()
    )
    assert not Assessment.objects.exists()


# ---------------------------------------------------------------------------- spreadsheets


def test_spreadsheet_download_and_upload_pages(officer, nps: Framework) -> None:
    assessment = make_assessment(
        nps, services.organisation_host_ensure(), {"L1": "mature"}, submit=False
    )
    client = signed_in(officer)
    response = client.get(reverse("diagnostics:assessment-xlsx", args=[assessment.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="nps-2022.v1-assessment-' in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb["Answers"]
    assert (ws["B8"].value, ws["D8"].value) == ("L1", "Mature")
    ws["D9"] = "Expert"
    out = io.BytesIO()
    wb.save(out)
    url = reverse("diagnostics:assessment-upload", args=[assessment.pk])
    out.seek(0)
    out.name = "answers.xlsx"
    response = client.post(url, {"file": out})
    assert response.status_code == 400
    assert (
        "Sheet &#x27;Answers&#x27;, cell D9: &#x27;Expert&#x27; is not a level of this framework"
    ) in response.content.decode()
    ws["D9"] = "Leader"
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "answers.xlsx"
    response = client.post(url, {"file": out})
    assert response["Location"] == reverse("diagnostics:assessment-check", args=[assessment.pk])
    assert assessment.answers.get(question_code="L2").level_code == "leader"


def test_a_new_link_replaces_a_lost_or_lapsed_one(
    officer, councillor, svmi: Framework, django_capture_on_commit_callbacks
) -> None:
    staff = signed_in(officer)
    old_path = _invite(staff, svmi, django_capture_on_commit_callbacks)
    invitee = Client()
    assert invitee.get(old_path).status_code == 200
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )  # the link has lapsed
    resend = reverse("diagnostics:invitation-resend", args=[invitation.pk])
    assert resend in staff.get(reverse("diagnostics:home")).content.decode()
    assert signed_in(councillor).post(resend).status_code == 403
    assert staff.get(resend).status_code == 405  # a change: POST only
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(resend).status_code == 302
    assert len(mail.outbox) == 2
    new_path = re.search(
        r"http://testserver(/diagnostics/invitations/[^/\s]+/)", str(mail.outbox[-1].body)
    )
    assert new_path
    assert new_path[1] != old_path
    assert invitee.get(old_path).status_code == 404  # the old link no longer works
    assert invitee.get(new_path[1]).status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=7)
