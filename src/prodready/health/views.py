"""The probe endpoints: ``health/``, ``readiness/`` and ``liveness/``, and their URL patterns."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path

from prodready.conf import get_conf
from prodready.health.base import Check
from prodready.health.checks import default_checks, readiness_defaults
from prodready.health.probe import Probe
from prodready.health.render import (
    HEALTH_JSON,
    Kind,
    draining_response,
    liveness_response,
    report_response,
)
from prodready.lifecycle import is_draining
from prodready.ratelimit import exempt

APP_NAME = "prodready_health"
AsyncView = Callable[[HttpRequest], Coroutine[Any, Any, HttpResponse]]


def wants_health_json(request: HttpRequest) -> bool:
    """Tell whether the client prefers ``application/health+json`` to plain JSON."""
    return request.get_preferred_type(["application/json", HEALTH_JSON]) == HEALTH_JSON


def is_authorized(request: HttpRequest) -> bool:
    """Tell whether ``request`` bears ``Authorization: Bearer <HEALTH_TOKEN>``."""
    token = get_conf().health_token
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def _refusal(request: HttpRequest) -> JsonResponse | None:
    if request.method in ("GET", "HEAD"):
        return None
    response = JsonResponse(
        {"error": "method not allowed", "detail": f"{request.method} is not allowed; use GET."},
        status=405,
    )
    response["Allow"] = "GET, HEAD"
    response["Cache-Control"] = "no-store"
    return response


def probe_view(probe: Probe, kind: Kind) -> AsyncView:
    """Return the view that answers with ``probe``'s report: 200, or 503 when failing.

    A draining process (see :mod:`prodready.lifecycle`) answers 503 without
    running any check, so that a probe never reopens a pool the shutdown closed.
    """

    async def view(request: HttpRequest) -> HttpResponse:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        health_json = wants_health_json(request)
        if is_draining():
            return draining_response(kind, health_json=health_json)
        report = await probe.report()
        return report_response(
            report, kind, health_json=health_json, detailed=is_authorized(request)
        )

    view.__name__ = view.__qualname__ = kind
    view.__doc__ = f"Answer the {kind} probe."
    return exempt(view)


@exempt
async def liveness(request: HttpRequest) -> HttpResponse:
    """Answer 200 whenever the process can answer; touch no dependency."""
    return _refusal(request) or liveness_response(health_json=wants_health_json(request))


def health_urls(
    *,
    health: Iterable[Check] | None = None,
    readiness: Iterable[Check] | None = None,
    readiness_extras: Mapping[str, Callable[[], object]] | None = None,
) -> tuple[list[URLPattern], str]:
    """Return the probe URL patterns and their namespace, for ``include()``.

    ``include("prodready.health.urls")`` is ``include(health_urls())``. Pass
    your own checks to change what is checked, e.g.
    ``health=[*default_checks(), CeleryCheck()]``.

    Args:
        health: The checks of ``health/`` (default :func:`default_checks`).
        readiness: The checks of ``readiness/`` (default: the database and
            migrations checks among ``health``'s).
        readiness_extras: Name -> function whose value is added to the
            readiness body (e.g. an item count). Extras run with the checks,
            under the same deadline and cache, and never decide the status.
    """
    health_checks = list(default_checks() if health is None else health)
    ready_checks = list(readiness_defaults(health_checks) if readiness is None else readiness)
    views = {
        "health": probe_view(Probe(health_checks), "health"),
        "readiness": probe_view(Probe(ready_checks, readiness_extras), "readiness"),
        "liveness": liveness,
    }
    patterns = []
    for name, view in views.items():
        # A kubelet probe may be written without the slash: answered, not redirected.
        patterns += [path(f"{name}/", view, name=name), path(name, view)]
    return patterns, APP_NAME
