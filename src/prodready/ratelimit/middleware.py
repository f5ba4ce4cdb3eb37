"""RateLimitMiddleware: applies ``RATELIMIT_RULES`` to every request; no logic of its own."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from prodready.middleware import DualMiddleware, GetResponse
from prodready.ratelimit.limiter import RuleSet
from prodready.ratelimit.process import get_limiter, get_rules
from prodready.ratelimit.responses import add_headers, arefusal, refusal
from prodready.ratelimit.rules import Rule

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


# Routes remembered per middleware (method, path, urlconf); bounded: cleared when full.
_MAX_ROUTES = 4096
_MAX_CACHED_PATH = 512
_Route = tuple[str | None, str, Any]
_MISSING: Any = object()


class RateLimitMiddleware(DualMiddleware):
    """Count each request against the matching rules; answer 429 past a limit.

    Place it after the middleware that authenticates (``user`` keys need
    ``request.user``). Views marked with :func:`prodready.ratelimit.exempt`
    (the health endpoints) are never limited.
    """

    def __init__(self, get_response: GetResponse) -> None:
        """Wrap ``get_response``, taking on its sync or async nature."""
        super().__init__(get_response)
        # The rules the routes were worked out for (the settings can change
        # under tests), and (method, path, urlconf) -> the rules that apply or
        # None. One attribute, replaced whole: a request still under the old
        # rules cannot file its answer among the new ones.
        self._routes: tuple[tuple[Rule, ...] | None, dict[_Route, RuleSet | None]] = (None, {})

    def _rule_set(self, request: HttpRequest) -> RuleSet | None:
        rules = get_rules()
        known, routes = self._routes
        if rules is not known:
            routes = {}
            self._routes = (rules, routes)
        route = (request.method, request.path_info, request.__dict__.get("urlconf"))
        found = routes.get(route, _MISSING)
        if found is _MISSING:
            found = self._route(request, rules)
            if len(route[1]) <= _MAX_CACHED_PATH:  # a longer path is a scan: not kept
                if len(routes) >= _MAX_ROUTES:
                    routes.clear()
                routes[route] = found
        return found  # type: ignore[no-any-return]

    def _route(self, request: HttpRequest, rules: tuple[Rule, ...]) -> RuleSet | None:
        method, path = request.method, request.path_info
        matching = tuple([r for r in rules if r.matches(method, path)])  # type: ignore[arg-type]
        if not matching or _exempt(request):
            return None
        # One RuleSet per distinct set of rules, however many paths share it
        # (so that the limiter's per-client plans are shared too).
        return get_limiter().rule_set(matching)

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        """Limit a request (sync path)."""
        rule_set = self._rule_set(request)
        if rule_set is None:
            return self.respond(request)
        decision = get_limiter().count(request, rule_set)
        if decision is None:
            return self.respond(request)
        if not decision.allowed:
            return refusal(decision, request)
        return add_headers(self.respond(request), decision)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        """Limit a request without blocking the event loop."""
        rule_set = self._rule_set(request)
        if rule_set is None:
            return await self.arespond(request)
        decision = await get_limiter().acount(request, rule_set)
        if decision is not None and not decision.allowed:
            return await arefusal(decision, request)
        response: HttpResponseBase = await self.arespond(request)
        return add_headers(response, decision) if decision is not None else response
