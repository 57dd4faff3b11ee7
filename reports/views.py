"""The report centre: officers build the committee report and write its editions; everyone
who reads downloads the reports and reads final editions."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from portal import services as portal_services
from portal.csp import NoncedMarkup
from portal.formatting import financial_year_label
from portal.models import Job
from portal.roles import READERS, STAFF, Role, has_role, role_required, signed_in_user
from reports import committee, selectors, services
from reports.committee import COMMITTEE_JOB_KIND
from reports.forms import CommitteeReportForm, EditionStartForm, FrontSheetForm
from reports.models import Edition


@role_required(*READERS)
def centre(request: HttpRequest) -> HttpResponse:
    """The reports a role may generate or download, and every run with its files."""
    can_generate = has_role(request.user, *STAFF)
    years = selectors.report_years()
    chosen = request.GET.get("fy", "")
    form = CommitteeReportForm(
        request.POST or None,
        years=years,
        initial={"fy": int(chosen)} if chosen.isdigit() and int(chosen) in years else None,
    )
    if request.method == "POST":
        if not can_generate:
            raise PermissionDenied("Councillors download reports; officers generate them.")
        if form.is_valid():
            fy = int(form.cleaned_data["fy"])
            job = portal_services.job_start(
                kind=COMMITTEE_JOB_KIND,
                title=f"Committee scrutiny report {financial_year_label(fy)}",
                params={"fy": fy},
                user=signed_in_user(request),
            )
            messages.success(request, "The report is being built. It appears below when ready.")
            # The chosen year stays chosen when the page comes back.
            return redirect(f"{reverse('reports:centre')}?fy={fy}#job-{job.pk}")
    return render(
        request,
        "reports/centre.html",
        {
            "form": form,
            "can_generate": can_generate,
            "watch_all": has_role(request.user, Role.ADMINISTRATOR),
            "runs": selectors.report_runs()[:50],
            "drafts": selectors.editions().filter(status=Edition.Status.DRAFT)[:20]
            if can_generate
            else [],
            "library": selectors.final_editions_by_year(),
            "breadcrumbs": [("Home", reverse("home:home")), ("Reports", None)],
        },
    )


@role_required(*READERS)
def run_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One run's row of the report centre, asked for again while the job runs."""
    job = get_object_or_404(selectors.report_runs(), pk=pk)
    return render(
        request,
        "reports/_run_row.html",
        {
            "job": job,
            "can_generate": has_role(request.user, *STAFF),
            # The job page is staff's own jobs, and every job for administrators.
            "watch_all": has_role(request.user, Role.ADMINISTRATOR),
        },
    )


@role_required(*READERS)
def report_file(request: HttpRequest, pk: int, index: int) -> FileResponse:
    """Download a finished report's file (councillors included)."""
    job = get_object_or_404(selectors.report_runs(), pk=pk, status=Job.Status.SUCCEEDED)
    files = job.result.get("files", [])
    if index >= len(files):
        raise Http404("No such file.")
    path = (Path(settings.MEDIA_ROOT) / files[index]["path"]).resolve()
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) or not path.exists():
        raise Http404("The file is no longer available. Build the report again.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=files[index]["name"])


# --- Editions -------------------------------------------------------------------------------

NARRATIVE_PREFIX = "narrative-"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _edition_for(request: HttpRequest, pk: int) -> Edition:
    """Officers see every edition; councillors only final ones (a draft is not found)."""
    edition = get_object_or_404(selectors.editions(), pk=pk)
    if not edition.is_final and not has_role(request.user, *STAFF):
        raise Http404("No such edition.")
    return edition


@role_required(*STAFF)
def edition_new(request: HttpRequest) -> HttpResponse:
    """Choose the year and the meeting; the edition page follows."""
    form = EditionStartForm(request.POST or None, years=selectors.report_years())
    if request.method == "POST" and form.is_valid():
        start_from = selectors.last_edition() if form.cleaned_data["start_from_last"] else None
        edition = services.edition_create(
            fy=int(form.cleaned_data["fy"]),
            committee_name=form.cleaned_data["committee"],
            meeting_date=form.cleaned_data["meeting_date"],
            user=signed_in_user(request),
            start_from=start_from,
        )
        messages.success(request, "Edition started. Write each section's text and save.")
        return redirect(edition)
    return render(
        request,
        "reports/edition_new.html",
        {
            "form": form,
            "last": selectors.last_edition(),
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Reports", reverse("reports:centre")),
                ("New edition", None),
            ],
        },
    )


@role_required(*READERS)
def edition(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft: live figures beside each section's text, saved with the edition. A final
    edition: the frozen figures and text, never recomputed."""
    found = _edition_for(request, pk)
    can_edit = has_role(request.user, *STAFF) and not found.is_final
    form = FrontSheetForm(
        request.POST or None,
        initial={
            "committee": found.committee,
            "meeting_date": found.meeting_date,
            "as_at": found.as_at,
            "report_of": found.report_of,
            "contact_officer": found.contact_officer,
            "purpose": found.purpose,
            "approximate_top": found.approximate_top,
        },
    )
    problem = ""
    if request.method == "POST":
        if not has_role(request.user, *STAFF):
            raise PermissionDenied("Councillors read final editions; officers write them.")
        narrative = {
            key.removeprefix(NARRATIVE_PREFIX): request.POST.get(key, "")
            for key in request.POST
            if key.startswith(NARRATIVE_PREFIX)
        }
        if form.is_valid():
            try:
                services.edition_save(edition=found, fields=form.cleaned_data, narrative=narrative)
            except services.EditionError as error:
                problem = str(error)
            else:
                messages.success(request, "Saved.")
                return redirect(found)
        # Nothing typed is lost: the page shows the text as posted.
        for anchor, text in narrative.items():
            found.narrative = {**(found.narrative or {}), anchor: text}
    if found.is_final:
        sections = [
            # The portal's own render, kept at finalising; its charts' <style> get this nonce.
            {**s, "figures_html": NoncedMarkup(s["figures_html"])}
            for s in found.frozen.get("sections", [])
        ]
        context: dict[str, Any] = {"as_at": found.frozen.get("as_at")}
    else:
        context = selectors.draft_figures(found, refresh=request.GET.get("refresh") == "1")
        sections = [
            {
                **s,
                "narrative": found.text(s["anchor"]),
                # Our templates' render, kept without a nonce; its charts' <style> get this one.
                "figures_html": NoncedMarkup(s["figures_html"]),
            }
            for s in context["sections"]
        ]
    return render(
        request,
        "reports/edition.html",
        {
            "edition": found,
            "form": form,
            "problem": problem,
            "can_edit": can_edit,
            "sections": sections,
            "as_at": context["as_at"],
            "figures_at": context.get("computed_at"),
            "finalising": selectors.edition_finalising(found),
            "narrative_prefix": NARRATIVE_PREFIX,
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Reports", reverse("reports:centre")),
                (str(found), None),
            ],
        },
    )


@role_required(*STAFF)
def edition_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    """Start freezing a draft (a job: the figures are gathered and the PDF written)."""
    found = get_object_or_404(selectors.editions(), pk=pk)
    if request.method != "POST":
        return redirect(found)
    if found.is_final:
        messages.error(request, "This edition is already final. Start a new edition from it.")
        return redirect(found)
    running = selectors.edition_finalising(found)
    if running is None or running.is_finished:
        portal_services.job_start(
            kind=committee.EDITION_JOB_KIND,
            title=f"Final edition: {found}",
            params={"edition": found.pk},
            user=signed_in_user(request),
        )
    messages.success(request, "The edition is being finalised. Its PDF appears here when ready.")
    return redirect(found)


@role_required(*READERS)
def edition_docx(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The edition as a Word document: a final edition's kept file (or, for one finalised
    before these were kept, built from its frozen sections); a draft's built now."""
    found = _edition_for(request, pk)
    name = committee.edition_file_name(found, "docx")
    if found.is_final and found.docx:
        return FileResponse(
            found.docx.open("rb"), as_attachment=True, filename=name, content_type=DOCX_TYPE
        )
    data = (
        committee.frozen_edition_docx(found)
        if found.is_final
        else committee.render_edition_docx(found)
    )
    response = HttpResponse(data, content_type=DOCX_TYPE)
    prefix = "" if found.is_final else "draft-"
    response["Content-Disposition"] = f'attachment; filename="{prefix}{name}"'
    return response


@role_required(*READERS)
def edition_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A final edition's stored PDF; officers may also download a draft, built now."""
    found = _edition_for(request, pk)
    name = committee.edition_file_name(found)
    if found.is_final:
        if not found.pdf:
            raise Http404("The PDF of this edition is missing.")
        return FileResponse(found.pdf.open("rb"), as_attachment=True, filename=name)
    pdf = committee.render_edition_pdf(found)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="draft-{name}"'
    return response
