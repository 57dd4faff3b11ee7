"""A URL configuration with one view that fails, to show the 500 page in a browser test."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urls


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A deliberate fault for the error-page test.")


broken.login_required = False  # type: ignore[attr-defined]

urlpatterns = [path("broken/", broken), *portal_urls]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
