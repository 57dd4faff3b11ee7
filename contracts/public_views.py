"""The public contract register (no sign-in): only published snapshots, never the live
register, drafts or edits made since the last publication."""

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from contracts import selectors
from contracts.filters import PublishedContractFilter
from contracts.models import Notice, Publication, PublishedContract
from contracts.tables import PublicRegisterTable
from contracts.views import notice_csv_response, notice_ocds_response
from portal.exports import SafeExportMixin

FILE_KINDS = {
    "pdf": ("pdf", "application/pdf"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "ocds": ("json", "application/json"),
}


class PublicRegisterView(SafeExportMixin, SingleTableMixin, FilterView):
    table_class = PublicRegisterTable
    filterset_class = PublishedContractFilter
    template_name = "register/home.html"
    export_name = "contract-register"

    def get_queryset(self) -> QuerySet[PublishedContract]:
        self.publication = selectors.latest_publication()
        if self.publication is None:
            return PublishedContract.objects.none()
        return selectors.with_live_status(self.publication.contracts.all(), timezone.localdate())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        publications = list(selectors.publications_published()[:40])
        context.update(
            publication=self.publication,
            earlier=[p for p in publications if p != self.publication],
            breadcrumbs=[("Home", reverse("home:home")), ("Contract register", None)],
        )
        return context


_register_view = PublicRegisterView.as_view()
PAGE_CACHE_SECONDS = 600


@login_not_required
def register_home(request: HttpRequest) -> HttpResponse:
    """The register page. A publication never changes, so for anonymous visitors each page of
    it (by query string) is cached, keyed by the latest publication: a new publication is a
    new key, so nothing stale is ever shown."""
    publication = selectors.latest_publication()
    # A visitor with a message waiting (e.g. "You have signed out") gets a page of their own:
    # cached, the message would be shown to every anonymous visitor after them.
    has_messages = len(messages.get_messages(request)) > 0
    if (
        request.user.is_authenticated
        or publication is None
        or request.method != "GET"
        or has_messages
    ):
        return _register_view(request)
    query = hashlib.sha256(request.META.get("QUERY_STRING", "").encode()).hexdigest()[:32]
    # Status is worked out from the dates, so the day is part of the key too.
    key = f"register-page:v2:{publication.pk}:{timezone.localdate()}:{query}"
    cached = cache.get(key)
    nonce = getattr(request, "csp_nonce", "")
    if cached is not None:
        content, content_type, disposition, cached_nonce = cached
        if cached_nonce and nonce:
            # The page's inline script and style carry the nonce of the response they were
            # first rendered for; this response's Content-Security-Policy names a new one.
            content = content.replace(
                f'nonce="{cached_nonce}"'.encode(), f'nonce="{nonce}"'.encode()
            )
        response = HttpResponse(content, content_type=content_type)
        if disposition:
            response["Content-Disposition"] = disposition
        return response
    response = _register_view(request)
    if hasattr(response, "render"):
        response.render()
    if response.status_code == 200 and not response.streaming:
        cache.set(
            key,
            (
                response.content,
                response["Content-Type"],
                response.get("Content-Disposition", ""),
                nonce,
            ),
            PAGE_CACHE_SECONDS,
        )
    return response


@login_not_required
def forward_plan(request: HttpRequest) -> HttpResponse:
    """The published forward plan: contracts in the latest publication ending in the next
    24 months, by quarter, so suppliers can see what is coming up."""
    publication = selectors.latest_publication()
    today = timezone.localdate()
    quarters = selectors.published_forward_plan(publication, today) if publication else []
    return render(
        request,
        "register/forward_plan.html",
        {
            "publication": publication,
            "quarters": quarters,
            "ending": sum(len(q.contracts) for q in quarters),
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Contract register", reverse("register:home")),
                ("Forward plan", None),
            ],
        },
    )


@login_not_required
def published_contract(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(
        PublishedContract.objects.select_related("publication"),
        pk=pk,
        publication__status=Publication.Status.PUBLISHED,
    )
    return render(
        request,
        "register/contract.html",
        {
            "contract": contract,
            "live_status": selectors.published_live_status(contract, timezone.localdate()),
            "suppliers": contract.suppliers.all(),
            "notices": selectors.published_notices_for(contract.reference),
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Contract register", reverse("register:home")),
                (contract.reference, None),
            ],
        },
    )


@login_not_required
def published_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """A published Procurement Act notice; drafts are never public (404)."""
    notice = get_object_or_404(
        Notice.objects.select_related("contract"), pk=pk, status=Notice.Status.PUBLISHED
    )
    return render(
        request,
        "contracts/notice.html",
        {
            "notice": notice,
            "fields": selectors.notice_fields(notice, today=timezone.localdate()),
            "can_edit": False,
            "public": True,
            "breadcrumbs": [
                ("Home", reverse("home:home")),
                ("Contract register", reverse("register:home")),
                (notice.get_kind_display(), None),
            ],
        },
    )


@login_not_required
def published_notice_ocds(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk, status=Notice.Status.PUBLISHED)
    return notice_ocds_response(notice)


@login_not_required
def publication_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    publication = get_object_or_404(Publication, pk=pk, status=Publication.Status.PUBLISHED)
    if kind not in FILE_KINDS:
        raise Http404("No such file.")
    stored = getattr(publication, kind)
    if not stored:
        raise Http404("This publication has no such file.")
    extension, content_type = FILE_KINDS[kind]
    filename = f"contract-register-{publication.quarter}"
    if publication.version > 1:
        filename += f"-v{publication.version}"
    return FileResponse(
        stored.open("rb"),
        content_type=content_type,
        as_attachment=kind != "pdf",
        filename=f"{filename}.{extension}",
    )


@login_not_required
def published_notice_csv(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk, status=Notice.Status.PUBLISHED)
    return notice_csv_response(notice)
