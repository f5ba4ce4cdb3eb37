"""RateLimitMiddleware: applies ``RATELIMIT_RULES`` to every request; no logic of its own."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from prodready.ratelimit.limiter import Decision
from prodready.ratelimit.responses import add_headers, refusal
from prodready.ratelimit.rules import Rule
from prodready.ratelimit.store import get_limiter, get_rules

EXEMPT_ATTRIBUTE = "prodready_ratelimit_exempt"


@functools.lru_cache(maxsize=2048)
def _is_exempt(path: str, urlconf: str | None) -> bool:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return bool(getattr(match.func, EXEMPT_ATTRIBUTE, False))


def _exempt(request: HttpRequest) -> bool:
    return _is_exempt(request.path_info, getattr(request, "urlconf", None))


class RateLimitMiddleware:
    """Count each request against the matching rules; answer 429 past a limit.

    Place it after the middleware that authenticates (``user`` keys need
    ``request.user``). Views marked with :func:`prodready.ratelimit.exempt`
    (the health endpoints) are never limited.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    @staticmethod
    def _matching(request: HttpRequest) -> list[Rule]:
        method, path = request.method, request.path_info
        matching = [r for r in get_rules() if r.matches(method, path)]  # type: ignore[arg-type]
        return [] if not matching or _exempt(request) else matching

    def __call__(self, request: HttpRequest) -> Any:
        """Limit a request (sync path; the async path is ``__acall__``)."""
        if self.async_mode:
            return self.__acall__(request)
        matching = self._matching(request)
        decision = get_limiter().count(request, matching) if matching else None
        return self._respond(decision, request, self.get_response)  # type: ignore[arg-type]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """Limit a request without blocking the event loop."""
        matching = self._matching(request)
        decision = await get_limiter().acount(request, matching) if matching else None
        if decision is not None and not decision.allowed:
            return refusal(decision)
        response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        return add_headers(response, decision) if decision is not None else response

    @staticmethod
    def _respond(
        decision: Decision | None,
        request: HttpRequest,
        get_response: Callable[[HttpRequest], HttpResponseBase],
    ) -> HttpResponseBase:
        if decision is not None and not decision.allowed:
            return refusal(decision)
        response = get_response(request)
        return add_headers(response, decision) if decision is not None else response
