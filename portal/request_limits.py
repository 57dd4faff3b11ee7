"""The largest request body the portal reads, refused before anything reads it.

Visitors who are not signed in (sign-in, the public forms, invitation and supplier links) may
send up to ``ANONYMOUS_REQUEST_MAX_BYTES``; signed-in users up to ``UPLOAD_MAX_BYTES`` and a
little for the rest of the form. Otherwise a 300 MB body sent to the sign-in page would be
read and written to a temporary file.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader

FORM_OVERHEAD_BYTES = 1024 * 1024


def request_limit(request: HttpRequest) -> int:
    if request.user.is_authenticated:
        return int(settings.UPLOAD_MAX_BYTES) + FORM_OVERHEAD_BYTES
    return int(settings.ANONYMOUS_REQUEST_MAX_BYTES)


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0  # Django reads no body without a valid length either
        limit = request_limit(request)
        if size > limit:
            html = loader.render_to_string(
                "413.html",
                {"size_bytes": size, "limit_bytes": limit},
                request,
            )
            return HttpResponse(html, status=413)
        return self.get_response(request)
