"""ProbeMiddleware: the probe endpoints answer whatever the ``Host`` and the scheme.

The kubelet sends the pod's IP as ``Host`` (never in ``ALLOWED_HOSTS``) and
speaks plain HTTP (``SECURE_SSL_REDIRECT`` would send it a 301 to HTTPS, which
it does not follow to a 2xx). Put this middleware first in ``MIDDLEWARE``: for
the exact paths of ``prodready.health.urls`` it calls the probe view itself,
before anything reads the host or redirects (with or without the trailing
slash); every other path goes on
untouched, so a bad ``Host`` there still gets its 400.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponseBase
from django.urls import NoReverseMatch, ResolverMatch, resolve, reverse

from prodready.health.views import APP_NAME
from prodready.middleware import DualMiddleware, GetResponse

logger = logging.getLogger("prodready.health")
URL_NAMES = ("health", "readiness", "liveness")


class ProbeMiddleware(DualMiddleware):
    """Answer the probe paths before host validation and the HTTPS redirect.

    The paths are found once, by reversing the ``prodready_health`` URL names
    (wherever ``prodready.health.urls`` is mounted); they are compared exactly
    with ``request.path``, with or without the trailing slash. A probe view
    reads neither the host nor the scheme.
    """

    def __init__(self, get_response: GetResponse) -> None:
        """Wrap ``get_response``, taking on its sync or async nature."""
        super().__init__(get_response)
        self._lock = threading.Lock()
        self._paths: frozenset[str] | None = None

    def probe_paths(self) -> frozenset[str]:
        """Return the probe paths, each with and without its trailing slash.

        Reversed on first use. A kubelet probe written ``/api/liveness`` (no
        slash) is answered like ``/api/liveness/`` (``health_urls()`` routes
        both): ``APPEND_SLASH`` would answer it with a redirect, after host
        validation, which the kubelet does not pass.
        """
        with self._lock:
            if self._paths is None:
                found: set[str] = set()
                for name in URL_NAMES:
                    with contextlib.suppress(NoReverseMatch):
                        path = reverse(f"{APP_NAME}:{name}")
                        found |= {path, path.rstrip("/") if path.endswith("/") else f"{path}/"}
                if not found:
                    logger.warning(
                        "ProbeMiddleware found no probe URL: include 'prodready.health.urls' "
                        "in the URLconf"
                    )
                self._paths = frozenset(found)
            return self._paths

    def _match(self, request: HttpRequest) -> ResolverMatch | None:
        if request.path not in self.probe_paths():
            return None
        match = resolve(request.path_info)
        request.resolver_match = match
        return match

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        """Answer a probe, or pass the request on (sync path)."""
        match = self._match(request)
        if match is None:
            return self.respond(request)
        return async_to_sync(match.func)(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        """Answer a probe, or pass the request on, without blocking the event loop."""
        match = self._match(request)
        if match is None:
            response: HttpResponseBase = await self.arespond(request)
            return response
        result: HttpResponseBase = await match.func(request, *match.args, **match.kwargs)
        return result
