"""Content-Security-Policy with a fresh nonce for every response.

Scripts, stylesheets, images and fonts come from the site itself. An inline ``<script>`` or
``<style>`` runs only with this response's nonce, which templates write as
``nonce="{{ request.csp_nonce }}"``: markup injected into a page cannot know it, so it does
not run. Style attributes are not allowed at all (classes in frontend/portal.scss instead).
"""

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.safestring import SafeString

_STYLE_WITHOUT_NONCE = re.compile(r"<style(?![^>]*\bnonce=)")
_nonce: ContextVar[str | None] = ContextVar("csp_nonce", default=None)


def policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        token = _nonce.set(nonce)
        try:
            response = self.get_response(request)
        finally:
            _nonce.reset(token)
        if settings.CSP_ENABLED and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy(nonce)
        return response


class NoncedMarkup(SafeString):
    """Markup the portal built itself (a chart's SVG) whose ``<style>`` gets the nonce of the
    response it is rendered into; outside a request (a PDF) it renders as it is."""

    def __html__(self) -> "NoncedMarkup":
        nonce = _nonce.get()
        if not nonce:
            return self
        return NoncedMarkup(_STYLE_WITHOUT_NONCE.sub(f'<style nonce="{nonce}"', self))


@contextmanager
def markup_kept_for_later() -> Iterator[None]:
    """Render markup that outlives this response (kept in the cache): no nonce is written
    into it, so ``NoncedMarkup`` gives it the nonce of the response that shows it later."""
    token = _nonce.set(None)
    try:
        yield
    finally:
        _nonce.reset(token)
