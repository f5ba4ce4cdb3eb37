"""The HTTP face of a decision: 429, 503 or 400 bodies and the RateLimit headers.

Header syntax follows draft-ietf-httpapi-ratelimit-headers (-08 and later):
``RateLimit-Policy: "name";q=100;w=3600`` and ``RateLimit: "name";r=42;t=17``,
one list member per rule that applied.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from math import ceil
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from prodready.ratelimit.keys import import_callable
from prodready.ratelimit.limiter import Decision

#: The Django setting naming a view for refused requests (django-ratelimit's name).
VIEW_SETTING = "RATELIMIT_VIEW"


class Ratelimited(PermissionDenied):
    """A request past its limit, as the ``RATELIMIT_VIEW`` view receives it.

    Attributes:
        decision: The limiter's decision: the rules, their counts and resets.
        retry_after: Seconds until the request would be admitted.
    """

    def __init__(self, decision: Decision) -> None:
        super().__init__("Too many requests")
        self.decision = decision
        self.retry_after = decision.retry_after


def policy_header(decision: Decision) -> str:
    """Return the ``RateLimit-Policy`` value: quota and window of each rule."""
    return ", ".join([r.rule.policy for r in decision.results])


def ratelimit_header(decision: Decision) -> str:
    """Return the ``RateLimit`` value: remaining quota and seconds to reset of each rule."""
    return ", ".join(
        [
            f'"{r.rule.name}";r={max(0, r.rule.rate.limit - r.hits)};t={max(1, ceil(r.reset))}'
            for r in decision.results
        ]
    )


def add_headers(response: HttpResponseBase, decision: Decision) -> HttpResponseBase:
    """Add ``RateLimit`` and ``RateLimit-Policy`` to an allowed response.

    A response that carries them already (a view's own ``@ratelimit``, whose
    policy is the more specific) keeps them.
    """
    results = decision.results
    if not results:
        return response
    if len(results) == 1:  # the common case, without the joins
        result = results[0]
        rule = result.rule
        remaining = rule.rate.limit - result.hits
        reset = ceil(result.reset)
        policy = rule.policy
        value = f'"{rule.name}";r={remaining if remaining > 0 else 0};t={reset if reset > 1 else 1}'
    else:
        policy, value = policy_header(decision), ratelimit_header(decision)
    try:
        # Django's header setter re-encodes and checks every value for
        # newlines; these are ASCII we built ourselves, so they go straight
        # into its store (lower-cased name -> (name, value)), saving a few µs.
        # (``"RateLimit" in response.headers`` would raise and catch a
        # KeyError inside Django for every response that has none.)
        store = response.headers._store
    except AttributeError:  # pragma: no cover - a Django without the private store
        if "RateLimit" not in response.headers:
            response.headers["RateLimit-Policy"] = policy
            response.headers["RateLimit"] = value
    else:
        if "ratelimit" not in store:
            store["ratelimit-policy"] = ("RateLimit-Policy", policy)
            store["ratelimit"] = ("RateLimit", value)
    return response


@functools.lru_cache(maxsize=4)
def _import_view(path: str) -> Callable[..., Any]:
    return import_callable(path, "the view")


def refusal_view() -> Callable[..., Any] | None:
    """Return the view ``settings.RATELIMIT_VIEW`` names, or ``None`` for the built-in 429.

    Raises:
        ImportError: when the setting names nothing callable (the system check
            ``prodready.E007`` reports it at start-up).
    """
    path = getattr(settings, VIEW_SETTING, None)
    return _import_view(str(path)) if path else None


def _finish(response: HttpResponseBase, decision: Decision) -> HttpResponseBase:
    # A custom view's answer still says when to come back, and is never cached.
    add_headers(response, decision)
    if "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(decision.retry_after)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _limited(decision: Decision) -> bool:
    return not decision.bad_address and not decision.unavailable


def refusal(decision: Decision, request: HttpRequest) -> HttpResponseBase:
    """Return the response for a refused request: 429, 503 (store down) or 400.

    Past a limit, a ``RATELIMIT_VIEW`` view answers instead of the built-in
    429, called as ``view(request, Ratelimited(decision))``; its response gets
    ``Retry-After``, the ``RateLimit`` headers and ``Cache-Control: no-store``
    unless it set them. An async view is awaited here in a sync context.
    """
    view = refusal_view() if _limited(decision) else None
    if view is None:
        return _built_in(decision)
    if iscoroutinefunction(view):
        view = async_to_sync(view)
    return _finish(view(request, Ratelimited(decision)), decision)


async def arefusal(decision: Decision, request: HttpRequest) -> HttpResponseBase:
    """Like :func:`refusal`, awaiting an async ``RATELIMIT_VIEW`` (a sync one runs in a thread)."""
    view = refusal_view() if _limited(decision) else None
    if view is None:
        return _built_in(decision)
    if iscoroutinefunction(view):
        response = await view(request, Ratelimited(decision))
    else:
        response = await sync_to_async(view)(request, Ratelimited(decision))
    return _finish(response, decision)


def _built_in(decision: Decision) -> JsonResponse:
    if decision.bad_address:
        return JsonResponse(
            {
                "error": "bad_request",
                "detail": "The client address of this request could not be determined.",
            },
            status=400,
        )
    retry_after = decision.retry_after
    if decision.unavailable:
        response = JsonResponse(
            {
                "error": "rate_limit_unavailable",
                "detail": "Rate limiting is temporarily unavailable; retry shortly.",
                "retry_after": retry_after,
            },
            status=503,
        )
    else:
        denied = [r for r in decision.results if not r.allowed]
        worst = max(denied, key=lambda r: r.reset_seconds)
        response = JsonResponse(
            {
                "error": "rate_limited",
                "detail": f"Too many requests: the limit is {worst.rule.rate}; "
                f"retry in {retry_after} s.",
                "retry_after": retry_after,
            },
            status=429,
        )
        add_headers(response, decision)
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    # Django logs every 4xx/5xx as a warning; a client hammering past its limit
    # would flood the log. Outages are logged once by the limiter instead.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
