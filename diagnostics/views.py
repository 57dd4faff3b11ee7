"""Self-assessment pages.

The same answering pages (theme by theme, check answers, results, spreadsheet) serve three
audiences, each reaching its assessment its own way:

- officers and administrators signed in: ``/diagnostics/assessments/<pk>/...``, their own
  council's rounds only;
- another organisation's officer with an emailed invitation, no account:
  ``/diagnostics/invitations/<token>/...``, the token is the key;
- anyone taking the public Social Value Maturity Index quick test: ``/diagnostics/svmi/...``,
  the assessment is remembered in the browser session.

A ``Route`` carries the assessment and how to link within that audience's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from diagnostics import charts, scoring, selectors, services
from diagnostics.forms import (
    InviteeStartForm,
    InviteForm,
    PublicStartForm,
    StartForm,
    ThemeForm,
    UploadForm,
)
from diagnostics.models import Assessment, Invitation
from portal.proxy import client_ip
from portal.roles import STAFF, role_required

PUBLIC_SLUG = "svmi"
SESSION_KEY = "diagnostics-svmi-assessment"


def _posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even when empty, so a blank form shows its errors)."""
    return request.POST if request.method == "POST" else None


@dataclass
class Route:
    assessment: Assessment
    base: str  # url name prefix: "assessment", "invitation" or "public-svmi"
    audience: str  # "staff", "invitee" or "public"
    kwargs: dict[str, Any] = field(default_factory=dict)
    invitation: Invitation | None = None

    def url(self, step: str = "", **extra: Any) -> str:
        name = f"diagnostics:{self.base}-{step}" if step else f"diagnostics:{self.base}"
        return reverse(name, kwargs={**self.kwargs, **extra})

    @property
    def spreadsheets(self) -> bool:
        return self.audience != "public"

    def breadcrumbs(self, *trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
        if self.audience == "staff":
            start = [
                ("Home", reverse("home:home")),
                ("Self-assessment", reverse("diagnostics:home")),
                (self.assessment.framework.short_title, self.url()),
            ]
        elif self.audience == "invitee":
            start = [(self.assessment.framework.short_title, self.url())]
        else:
            start = [("Social Value Maturity Index", self.url())]
        return [*start, *trail]


# ---------------------------------------------------------------------------- officers


def _crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        ("Home", reverse("home:home")),
        ("Self-assessment", reverse("diagnostics:home")),
        *trail,
    ]


@role_required(*STAFF)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "diagnostics/home.html",
        {
            "frameworks": selectors.frameworks_current(),
            "assessments": selectors.host_assessments(),
            "invitations": selectors.invitations_sent()[:50],
            "host": selectors.host_organisation(),
            "breadcrumbs": [("Home", reverse("home:home")), ("Self-assessment", None)],
        },
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    frameworks = selectors.frameworks_current()
    initial = {}
    wanted = request.GET.get("framework")
    if wanted:
        initial["framework"] = next((str(f.pk) for f in frameworks if f.slug == wanted), None)
    form = StartForm(_posted(request), frameworks=frameworks, initial=initial)
    if request.method == "POST" and form.is_valid():
        assessment = services.assessment_start(
            framework=form.chosen(),
            organisation=services.organisation_host_ensure(),
            created_by=request.user,  # type: ignore[arg-type]
            round_label=form.cleaned_data["round_label"],
        )
        first = assessment.framework.spec.themes[0].slug
        return redirect("diagnostics:assessment-theme", pk=assessment.pk, theme=first)
    return render(
        request,
        "diagnostics/start.html",
        {
            "form": form,
            "breadcrumbs": _crumbs(("Start a self-assessment", None)),
        },
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(_posted(request), frameworks=selectors.frameworks_current())
    if request.method == "POST" and form.is_valid():
        invitation, _link = services.invitation_create(
            email=form.cleaned_data["email"],
            organisation_name=form.cleaned_data["organisation_name"],
            organisation_kind=form.cleaned_data["organisation_kind"],
            framework=form.chosen(),
            invited_by=request.user,  # type: ignore[arg-type]
            site_url=request.build_absolute_uri("/"),
        )
        messages.success(
            request,
            f"Invitation sent to {invitation.email} for {invitation.organisation_name}.",
        )
        return redirect("diagnostics:home")
    return render(
        request,
        "diagnostics/invite.html",
        {
            "form": form,
            "breadcrumbs": _crumbs(("Invite another organisation", None)),
        },
    )


@role_required(*STAFF)
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Email a fresh link (the old one stops working) for a lost email or a lapsed link."""
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        invitation, _link = services.invitation_resend(
            invitation=invitation,
            sender=request.user,  # type: ignore[arg-type]
            site_url=request.build_absolute_uri("/"),
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(
            request,
            f"A new link was sent to {invitation.email} for "
            f"{invitation.organisation_name}; the earlier one no longer "
            "works.",
        )
    return redirect("diagnostics:home")


@role_required(*STAFF)
def state_of_the_nation(request: HttpRequest) -> HttpResponse:
    reports = [
        {
            "nation": nation,
            "rows": _distribution_rows(nation.framework.spec, nation.report),
            "level_names": [level.name for level in nation.framework.spec.levels],
        }
        for nation in selectors.state_of_the_nation_all()
    ]
    return render(
        request,
        "diagnostics/state_of_the_nation.html",
        {
            "reports": reports,
            "minimum": scoring.MINIMUM_PEERS,
            "breadcrumbs": _crumbs(("State of the nation", None)),
        },
    )


def _staff_route(pk: int) -> Route:
    assessment = get_object_or_404(
        Assessment.objects.select_related("framework", "organisation"),
        pk=pk,
        organisation__is_host=True,
    )
    return Route(assessment, "assessment", "staff", {"pk": pk})


@role_required(*STAFF)
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    return _overview(request, _staff_route(pk))


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def assessment_theme(request: HttpRequest, pk: int, theme: str) -> HttpResponse:
    return _theme_page(request, _staff_route(pk), theme)


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def assessment_check(request: HttpRequest, pk: int) -> HttpResponse:
    return _check_page(request, _staff_route(pk))


@role_required(*STAFF)
def assessment_results(request: HttpRequest, pk: int) -> HttpResponse:
    return _results_page(request, _staff_route(pk))


@role_required(*STAFF)
def assessment_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    return _xlsx_download(_staff_route(pk))


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def assessment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return _xlsx_upload(request, _staff_route(pk))


# ---------------------------------------------------------------------------- invitees

InviteeView = Callable[..., HttpResponse]


def invitee_view(view: Callable[..., HttpResponse]) -> InviteeView:
    """Open the invitation a token names, or refuse the link plainly (404 unknown, 403
    expired). No account is needed: the token is the key."""

    @login_not_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        try:
            invitation = selectors.invitation_by_token(token)
        except selectors.InvitationInvalid:
            return render(
                request, "diagnostics/invitation_refused.html", {"reason": "invalid"}, status=404
            )
        except selectors.InvitationExpired as expired:
            return render(
                request,
                "diagnostics/invitation_refused.html",
                {"reason": "expired", "invitation": expired.invitation},
                status=403,
            )
        return view(request, invitation, token, **kwargs)

    return wrapped


def _invitee_route(invitation: Invitation, token: str) -> Route | None:
    if invitation.assessment is None:
        return None
    return Route(invitation.assessment, "invitation", "invitee", {"token": token}, invitation)


@invitee_view
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    route = _invitee_route(invitation, token)
    if route is not None:
        return _overview(request, route)
    form = InviteeStartForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        started = services.invitation_start(
            invitation=invitation, respondent_name=form.cleaned_data["respondent_name"]
        )
        first = started.framework.spec.themes[0].slug
        return redirect("diagnostics:invitation-theme", token=token, theme=first)
    return render(
        request,
        "diagnostics/invitation_start.html",
        {
            "invitation": invitation,
            "form": form,
            "spec": invitation.framework.spec,
        },
    )


def _started(view: Callable[..., HttpResponse]) -> InviteeView:
    """An invitee page that needs the assessment started (else back to the start page)."""

    @invitee_view
    @wraps(view)
    def wrapped(
        request: HttpRequest, invitation: Invitation, token: str, **kwargs: Any
    ) -> HttpResponse:
        route = _invitee_route(invitation, token)
        if route is None:
            return redirect("diagnostics:invitation", token=token)
        return view(request, route, **kwargs)

    return wrapped


@_started
@require_http_methods(["GET", "POST"])
def invitation_theme(request: HttpRequest, route: Route, theme: str) -> HttpResponse:
    return _theme_page(request, route, theme)


@_started
@require_http_methods(["GET", "POST"])
def invitation_check(request: HttpRequest, route: Route) -> HttpResponse:
    return _check_page(request, route)


@_started
def invitation_results(request: HttpRequest, route: Route) -> HttpResponse:
    return _results_page(request, route)


@_started
def invitation_xlsx(request: HttpRequest, route: Route) -> HttpResponse:
    return _xlsx_download(route)


@_started
@require_http_methods(["GET", "POST"])
def invitation_upload(request: HttpRequest, route: Route) -> HttpResponse:
    return _xlsx_upload(request, route)


# ---------------------------------------------------------------------------- public SVMI


def _public_route(request: HttpRequest) -> Route | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    assessment = (
        Assessment.objects.select_related("framework")
        .filter(
            pk=pk, organisation__isnull=True, framework__public=True, framework__slug=PUBLIC_SLUG
        )
        .first()
    )
    return Route(assessment, "public-svmi", "public") if assessment else None


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def public_svmi(request: HttpRequest) -> HttpResponse:
    framework = selectors.framework_current(PUBLIC_SLUG)
    if framework is None or not framework.public:
        raise Http404("The Social Value Maturity Index is not available.")
    route = _public_route(request)
    if request.method == "POST" and request.POST.get("action") == "restart":
        request.session.pop(SESSION_KEY, None)
        return redirect("diagnostics:public-svmi")
    form = PublicStartForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        if services.public_start_limited(client=client_ip(request)):
            form.add_error(
                None,
                "The test has been started too many times from your connection in the last "
                "hour. Wait an hour and start it again, or finish a test you have started.",
            )
            return render(
                request,
                "diagnostics/public_start.html",
                {"framework": framework, "spec": framework.spec, "form": form, "route": route},
                status=429,
            )
        started = services.assessment_start(
            framework=framework,
            organisation=None,
            respondent_kind=form.cleaned_data["respondent_kind"],
        )
        request.session[SESSION_KEY] = started.pk
        return redirect("diagnostics:public-svmi-theme", theme=framework.spec.themes[0].slug)
    return render(
        request,
        "diagnostics/public_start.html",
        {
            "framework": framework,
            "spec": framework.spec,
            "form": form,
            "route": route,
            "progress": selectors.theme_progress(route.assessment) if route else None,
        },
    )


def _public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_not_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        route = _public_route(request)
        if route is None:
            return redirect("diagnostics:public-svmi")
        return view(request, route, **kwargs)

    return wrapped


@_public
@require_http_methods(["GET", "POST"])
def public_svmi_theme(request: HttpRequest, route: Route, theme: str) -> HttpResponse:
    return _theme_page(request, route, theme)


@_public
@require_http_methods(["GET", "POST"])
def public_svmi_check(request: HttpRequest, route: Route) -> HttpResponse:
    return _check_page(request, route)


@_public
def public_svmi_results(request: HttpRequest, route: Route) -> HttpResponse:
    return _results_page(request, route)


# ---------------------------------------------------------------------------- shared pages


def _overview(request: HttpRequest, route: Route) -> HttpResponse:
    """The task list: each theme with how much of it is answered."""
    assessment = route.assessment
    return render(
        request,
        "diagnostics/overview.html",
        {
            "route": route,
            "assessment": assessment,
            "spec": assessment.framework.spec,
            "progress": selectors.theme_progress(assessment),
            "breadcrumbs": [*route.breadcrumbs()[:-1], (assessment.framework.short_title, None)],
        },
    )


def _theme_page(request: HttpRequest, route: Route, theme_slug: str) -> HttpResponse:
    assessment = route.assessment
    spec = assessment.framework.spec
    try:
        theme = spec.theme(theme_slug)
    except KeyError:
        raise Http404("No such theme in this framework.") from None
    if not assessment.is_draft:
        messages.info(request, "This assessment has been submitted, so its answers are final.")
        return redirect(route.url("results"))
    form = ThemeForm(
        _posted(request), spec=spec, theme=theme, answers=selectors.answers_for(assessment)
    )
    themes = list(spec.themes)
    index = themes.index(theme)
    if request.method == "POST" and form.is_valid():
        services.answer_save(assessment=assessment, answers=form.answers())
        if request.POST.get("action") == "later":
            return _saved_for_later(request, route)
        if index + 1 < len(themes):
            return redirect(route.url("theme", theme=themes[index + 1].slug))
        return redirect(route.url("check"))
    return render(
        request,
        "diagnostics/theme.html",
        {
            "route": route,
            "assessment": assessment,
            "spec": spec,
            "theme": theme,
            "form": form,
            "number": index + 1,
            "count": len(themes),
            "previous": route.url("theme", theme=themes[index - 1].slug) if index else None,
            "breadcrumbs": route.breadcrumbs((theme.title, None)),
        },
        status=400 if form.errors else 200,
    )


def _saved_for_later(request: HttpRequest, route: Route) -> HttpResponse:
    if route.audience == "staff":
        messages.success(
            request,
            f"Your answers are saved. Continue the "
            f"{route.assessment.framework.short_title} self-assessment "
            f"from this page when you are ready.",
        )
        return redirect("diagnostics:home")
    if route.audience == "invitee":
        assert route.invitation is not None
        until = timezone.localtime(route.invitation.expires_at).strftime("%-d %B %Y")
        messages.success(
            request,
            f"Your answers are saved. Come back to them through the link "
            f"in your invitation email until {until}.",
        )
        return redirect(route.url())
    messages.success(
        request, "Your answers are saved in this browser. Come back to this page to continue."
    )
    return redirect(route.url())


def _check_page(request: HttpRequest, route: Route) -> HttpResponse:
    assessment = route.assessment
    spec = assessment.framework.spec
    if not assessment.is_draft:
        return redirect(route.url("results"))
    error = None
    if request.method == "POST":
        try:
            services.assessment_submit(assessment=assessment)
        except services.DiagnosticsError as problem:
            error = str(problem)
        else:
            messages.success(request, "Your self-assessment has been submitted.")
            return redirect(route.url("results"))
    answers = selectors.answers_for(assessment)
    sections = []
    for theme in spec.themes:
        rows = []
        for question in theme.questions:
            answer = answers.get(question.code)
            level = spec.level(answer.level_code) if answer and answer.level_code else None
            rows.append(
                {
                    "question": question,
                    "level": level,
                    "evidence": answer.evidence if answer else "",
                }
            )
        sections.append({"theme": theme, "rows": rows, "url": route.url("theme", theme=theme.slug)})
    unanswered = sum(
        1
        for theme in spec.themes
        for q in theme.questions
        if not (answers.get(q.code) and answers[q.code].level_code)
    )
    return render(
        request,
        "diagnostics/check.html",
        {
            "route": route,
            "assessment": assessment,
            "spec": spec,
            "sections": sections,
            "unanswered": unanswered,
            "error": error,
            "breadcrumbs": route.breadcrumbs(("Check your answers", None)),
        },
        status=400 if error else 200,
    )


def _distribution_rows(
    spec: Any, report: scoring.DistributionReport, mine: scoring.AssessmentResult | None = None
) -> list[dict[str, Any]]:
    """Rows for a distribution table: overall first, then each theme; the asker's own level
    is marked when ``mine`` is given."""
    titles = {theme.slug: theme.title for theme in spec.themes}
    own = {}
    if mine is not None:
        own = {t.slug: (t.level.code if t.level else None) for t in mine.themes}
        own["overall"] = mine.overall.level.code if mine.overall.level else None
    rows = []
    for dist in (report.overall, *report.themes):
        cells = []
        if dist.counts is not None:
            cells = [
                {"level": spec.level(code).name, "count": count, "mine": own.get(dist.slug) == code}
                for code, count in dist.counts
            ]
        rows.append(
            {
                "title": "Overall" if dist.slug == "overall" else titles[dist.slug],
                "released": dist.released,
                "respondents": dist.respondents,
                "cells": cells,
                "overall": dist.slug == "overall",
            }
        )
    return rows


def _results_page(request: HttpRequest, route: Route) -> HttpResponse:
    assessment = route.assessment
    if assessment.is_draft:
        messages.info(request, "Submit the assessment to see its results.")
        return redirect(route.url("check"))
    spec = assessment.framework.spec
    result = selectors.assessment_results(assessment)
    context: dict[str, Any] = {
        "route": route,
        "assessment": assessment,
        "spec": spec,
        "result": result,
        "chart": charts.results_chart(spec, result),
        "minimum": scoring.MINIMUM_PEERS,
        "breadcrumbs": route.breadcrumbs(("Results", None)),
    }
    if assessment.organisation_id is not None:
        earlier = selectors.earlier_rounds(assessment)
        context["earlier"] = earlier
        context["comparison"] = (
            scoring.compare_rounds(earlier[0].result, result) if earlier else None
        )
        peers = selectors.peer_report(assessment)
        context["peers"] = peers
        context["peer_rows"] = _distribution_rows(spec, peers, result)
        context["level_names"] = [level.name for level in spec.levels]
    return render(request, "diagnostics/results.html", context)


def _xlsx_download(route: Route) -> HttpResponse:
    assessment = route.assessment
    content = services.assessment_xlsx_export(assessment=assessment)
    name = f"{assessment.framework.key}-assessment-{assessment.pk}.xlsx"
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _xlsx_upload(request: HttpRequest, route: Route) -> HttpResponse:
    assessment = route.assessment
    if not assessment.is_draft:
        messages.info(request, "This assessment has been submitted, so its answers are final.")
        return redirect(route.url("results"))
    form = UploadForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.assessment_xlsx_import(
                assessment=assessment, file=form.cleaned_data["file"]
            )
        except services.DiagnosticsError as problem:
            form.add_error("file", str(problem))
        else:
            messages.success(
                request,
                f"{count} answers were taken from the spreadsheet. Check them, then submit.",
            )
            return redirect(route.url("check"))
    return render(
        request,
        "diagnostics/upload.html",
        {
            "route": route,
            "assessment": assessment,
            "form": form,
            "breadcrumbs": route.breadcrumbs(("Spreadsheet", None)),
        },
        status=400 if form.errors else 200,
    )
