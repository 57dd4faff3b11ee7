"""The proxy in front of the portal: which forwarded headers are believed, and the client's
address. Only a request arriving from one of ``TRUSTED_PROXY_IPS`` may carry
X-Forwarded-For and X-Forwarded-Proto; from anyone else they are dropped, so a client that
reaches the web server directly can neither pose as another address nor claim HTTPS."""

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and any(
        ip in ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXY_IPS
    )


def client_ip(request: HttpRequest) -> str:
    """The address the request came from. Behind the proxy REMOTE_ADDR is the proxy's, so
    X-Forwarded-For is read, but only when REMOTE_ADDR is a trusted proxy: each proxy appends
    the address it was reached from, so the rightmost address that is not a trusted proxy is
    the client; anything left of it is what the client claimed and is not believed."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if not is_trusted_proxy(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not is_trusted_proxy(address):
            return address if _ip(address) else remote
    return remote


class ForwardedHeadersMiddleware:
    """First in the chain: forwarded headers from a client that is not the proxy are dropped
    before SecurityMiddleware (HTTPS, via SECURE_PROXY_SSL_HEADER) or anything else reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
