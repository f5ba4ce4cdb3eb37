"""SecurityHeadersMiddleware: the OWASP REST Security Cheat Sheet's headers on every answer.

Django's own middleware adds some of these, but only to the responses that
pass through it: a probe answered by ``ProbeMiddleware``, a 429 from
``RateLimitMiddleware`` or a 503 from ``prodready.asgi`` never do. Placed
first in ``MIDDLEWARE``, this one sees every response and adds what is
missing, never overriding what a view or an inner middleware set:

==============================  ===============================================
header                          value, and when
==============================  ===============================================
``Cache-Control``               ``no-store``, unless the response sets
                                ``Cache-Control`` or ``Expires`` (a view that
                                caches, ``cache_page``, static files)
``Content-Security-Policy``     ``frame-ancestors 'none'``, unless it has one
                                (Django's ``SECURE_CSP``, a view's own)
``X-Content-Type-Options``      ``nosniff``
``X-Frame-Options``             ``DENY``, unless set or the view is
                                ``xframe_options_exempt``
``Strict-Transport-Security``   over HTTPS only, when ``SECURE_HSTS_SECONDS``
                                is set, as Django's ``SecurityMiddleware`` writes it
==============================  ===============================================

The ``Server`` header is uvicorn's: ``prodready serve`` and ``prodready demo``
pass ``--no-server-header``, as the documented commands do.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from prodready.middleware import DualMiddleware

NO_FRAMES = "frame-ancestors 'none'"


def hsts_value() -> str | None:
    """Return ``Strict-Transport-Security`` as the settings ask, or ``None`` when off."""
    seconds = int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0)
    if seconds <= 0:
        return None
    value = f"max-age={seconds}"
    if getattr(settings, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False):
        value += "; includeSubDomains"
    if getattr(settings, "SECURE_HSTS_PRELOAD", False):
        value += "; preload"
    return value


def add_security_headers(response: HttpResponseBase, secure: bool) -> HttpResponseBase:
    """Add the headers this module's table lists to ``response`` where they are missing.

    Args:
        response: Any response; what it sets is kept.
        secure: Whether the request came over HTTPS (``request.is_secure()``),
            the only case that gets ``Strict-Transport-Security``.
    """
    headers = response.headers
    if "Cache-Control" not in headers and "Expires" not in headers:
        headers["Cache-Control"] = "no-store"
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = NO_FRAMES
    if "X-Content-Type-Options" not in headers:
        headers["X-Content-Type-Options"] = "nosniff"
    if "X-Frame-Options" not in headers and not getattr(response, "xframe_options_exempt", False):
        headers["X-Frame-Options"] = "DENY"
    if secure and "Strict-Transport-Security" not in headers:
        value = hsts_value()
        if value is not None:
            headers["Strict-Transport-Security"] = value
    return response


class SecurityHeadersMiddleware(DualMiddleware):
    """Add the OWASP REST headers to every response; put it first in ``MIDDLEWARE``."""

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = self.respond(request)
        return add_security_headers(response, request.is_secure())

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await self.arespond(request)
        return add_security_headers(response, request.is_secure())
