"""Self-assessment in a real browser (axe-core checks every page visited).

An officer invites another organisation; its officer, with no account, completes the
assessment through the emailed link and sees the results; the inviting officer then sees
it counted in the peer view and the state of the nation. And the public SVMI quick test.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from diagnostics import services
from diagnostics.models import Assessment, Framework, Organisation
from portal.roles import Role
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_theme(page, codes_levels: dict[str, str], *, button: str = "Save and continue") -> None:
    for code, level in codes_levels.items():
        page.locator(f'label[for="level-{code}-{level}"]').click()
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("load")


def submitted(framework: Framework, organisation: Organisation, level: str) -> Assessment:
    assessment = services.assessment_start(framework=framework, organisation=organisation)
    services.answer_save(
        assessment=assessment, answers={q.code: (level, "") for _, q in framework.spec.questions()}
    )
    return services.assessment_submit(assessment=assessment)


def test_invited_officer_completes_and_inviter_sees_peers(sign_in_browser) -> None:
    services.frameworks_sync()
    svmi = Framework.objects.get(slug="svmi")
    officer = make_user(Role.PROCUREMENT_OFFICER)
    own = submitted(svmi, services.organisation_host_ensure(), "mature")
    for index in range(4):  # four peers already: one more releases the peer figures
        submitted(svmi, Organisation.objects.create(name=f"Peer {index}"), "followers")

    page = sign_in_browser(officer)
    page.goto("/diagnostics/")
    page.get_by_role("link", name="Invite another organisation").click()
    page.get_by_role("button", name="Send invitation").click()  # empty: errors first
    assert "Enter the email address" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Email address of the officer to invite").fill("buyer@otherton.gov.uk")
    page.get_by_label("Their organisation").fill("Otherton Borough Council")
    page.get_by_label("Council or other public body").check(force=True)
    page.get_by_label("Social Value Maturity Index (version 1)").check(force=True)
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(re.compile(r"/diagnostics/$"))
    assert "Invitation sent to buyer@otherton.gov.uk" in page.locator("main").inner_text()
    resend = page.get_by_role("button", name="Send a new link to buyer@otherton.gov.uk")
    assert resend.count() == 1
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/diagnostics/invitations/\S+/", str(mail.outbox[0].body))
    assert link

    # The invited officer has no account: sign out and open the emailed link.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in/"))
    page.goto(link[0])
    assert "Otherton Borough Council" in page.locator("main").inner_text()
    page.get_by_label("Your full name").fill("Ann Buyer")
    page.get_by_role("button", name="Start now").click()
    page.wait_for_url(re.compile(r"/themes/leadership-and-strategy/$"))
    page.get_by_label("Evidence for SV-LS1 (optional)").fill("Board minutes, June")
    answer_theme(
        page, {"SV-LS1": "leaders", "SV-LS2": "leaders"}, button="Save and come back later"
    )
    assert "Your answers are saved" in page.locator("main").inner_text()

    # Back through the same link later: the saved answers are there.
    page.goto(link[0])
    page.get_by_role("link", name="Leadership and strategy").click()
    assert page.locator("#level-SV-LS1-leaders").is_checked()
    answer_theme(page, {"SV-LS3": "leaders"})
    for theme in svmi.spec.themes[1:]:
        answer_theme(page, {q.code: "leaders" for q in theme.questions})
    page.wait_for_url(re.compile(r"/check/$"))
    assert "Board minutes, June" in page.locator("main").inner_text()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/results/$"))
    results = page.locator("#results-table").inner_text()
    assert re.search(r"Overall\s+15 of 15\s+3\.00\s+Leaders\s+Innovators", results)
    assert page.locator("svg[role=img]").count() == 1
    # Their peers: the host council and four others = five, so figures show, unnamed.
    main = page.locator("main").inner_text()
    assert "Other organisations at each level" in main
    assert "Peer 0" not in main

    # The inviting officer sees it in the peer view and the state of the nation.
    page = sign_in_browser(officer)
    page.goto("/diagnostics/")
    assert "Submitted" in page.locator("main").inner_text()
    assert page.get_by_role("button", name=re.compile("Send a new link")).count() == 0
    page.goto(f"/diagnostics/assessments/{own.pk}/results/")
    peers = page.locator("main").inner_text()
    assert "Other organisations at each level" in peers
    assert "Otherton" not in peers
    overall = (
        page.locator("table", has_text="Other organisations at each level")
        .locator("tr", has_text="Overall")
        .inner_text()
    )
    # Followers 4, Mature 0 (our level, marked), Leaders 1 (the invitee), Innovators 0.
    assert re.sub(r"\s+", " ", overall).strip() == "Overall 4 0 (your level) ◆ 1 0 5"
    page.goto("/diagnostics/state-of-the-nation/")
    nation = page.locator("main").inner_text()
    assert "6 responses: 6 from named organisations, 0 anonymous" in nation


def test_public_svmi_quick_test_anonymously(browser_page) -> None:
    services.frameworks_sync()
    svmi = Framework.objects.get(slug="svmi")
    page = browser_page
    page.goto("/")
    page.get_by_role("link", name="Social Value Maturity Index").first.click()
    page.wait_for_url(re.compile(r"/diagnostics/svmi/$"))
    page.get_by_role("button", name="Start the test").click()
    assert "Choose what kind of organisation" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Supplier").check(force=True)
    page.get_by_role("button", name="Start the test").click()
    for index, theme in enumerate(svmi.spec.themes):
        level = "innovators" if index % 2 else "mature"
        answer_theme(page, {q.code: level for q in theme.questions})
    page.wait_for_url(re.compile(r"/svmi/check/$"))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/svmi/results/$"))
    results = page.locator("#results-table").inner_text()
    # Themes alternate 2.00 and 4.00: the mean of theme means is 3.00, Leaders.
    assert re.search(r"Overall\s+15 of 15\s+3\.00\s+Leaders\s+Innovators", results)
    assert Assessment.objects.get().organisation is None
    page.get_by_role("button", name="Take the test again").click()
    page.wait_for_url(re.compile(r"/diagnostics/svmi/$"))


def test_officer_pages_start_resume_and_upload_errors(sign_in_browser, tmp_path) -> None:
    services.frameworks_sync()
    page = sign_in_browser(make_user(Role.ADMINISTRATOR))
    page.goto("/diagnostics/start/")
    page.get_by_role("button", name="Start", exact=True).click()
    assert "Choose a self-assessment" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("National Procurement Strategy 2022 (version 1)").check(force=True)
    page.get_by_label("Name this round (optional)").fill("2025 baseline")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_url(re.compile(r"/themes/showing-leadership/$"))
    answer_theme(page, {"L1": "mature"}, button="Save and come back later")
    page.wait_for_url(re.compile(r"/diagnostics/$"))
    page.get_by_role("link", name=re.compile("Continue")).click()
    assert "1 of 4 questions answered" in page.locator("main").inner_text()
    page.get_by_role("link", name="upload it").click()
    wrong = tmp_path / "answers.xlsx"
    wrong.write_text("not a workbook")
    page.get_by_label("Upload the completed spreadsheet").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload", exact=True).click()
    assert "not an Excel workbook" in page.locator(".govuk-error-summary").inner_text()
    page.goto("/diagnostics/state-of-the-nation/")
    assert "No self-assessments have been submitted yet" in page.locator("main").inner_text()
