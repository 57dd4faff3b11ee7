"""The report centre: officers build the committee report; everyone who reads downloads it."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from portal import services
from portal.formatting import financial_year_label
from portal.models import Job
from portal.roles import READERS, STAFF, has_role, role_required, signed_in_user
from reports import selectors
from reports.committee import COMMITTEE_JOB_KIND
from reports.forms import CommitteeReportForm


@role_required(*READERS)
def centre(request: HttpRequest) -> HttpResponse:
    """The reports a role may generate or download, and every run with its files."""
    can_generate = has_role(request.user, *STAFF)
    form = CommitteeReportForm(request.POST or None, years=selectors.report_years())
    if request.method == "POST":
        if not can_generate:
            raise PermissionDenied("Councillors download reports; officers generate them.")
        if form.is_valid():
            fy = int(form.cleaned_data["fy"])
            job = services.job_start(
                kind=COMMITTEE_JOB_KIND,
                title=f"Committee scrutiny report {financial_year_label(fy)}",
                params={"fy": fy},
                user=signed_in_user(request),
            )
            messages.success(request, "The report is being built. It appears below when ready.")
            return redirect(f"{reverse('reports:centre')}#job-{job.pk}")
    return render(
        request,
        "reports/centre.html",
        {
            "form": form,
            "can_generate": can_generate,
            "runs": selectors.report_runs()[:50],
            "breadcrumbs": [("Home", reverse("home:home")), ("Reports", None)],
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
