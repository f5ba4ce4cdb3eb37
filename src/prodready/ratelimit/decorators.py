"""``@ratelimit`` for one view and ``@exempt`` to opt a view out; thin over the limiter."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction

from prodready.ratelimit.limiter import RuleSet
from prodready.ratelimit.middleware import EXEMPT_ATTRIBUTE
from prodready.ratelimit.process import get_limiter
from prodready.ratelimit.rate import parse_rate
from prodready.ratelimit.responses import add_headers, refusal
from prodready.ratelimit.rules import KEY_KINDS, KeyKind, Rule

View = TypeVar("View", bound=Callable[..., Any])


def exempt[View: Callable[..., Any]](view: View) -> View:
    """Mark ``view`` so that ``RateLimitMiddleware`` never limits it."""
    setattr(view, EXEMPT_ATTRIBUTE, True)
    return view


def ratelimit(
    rate: str,
    key: KeyKind = "user_or_ip",
    methods: str | Iterable[str] | None = None,
    *,
    method: str | Iterable[str] | None = None,
    block: bool = True,
) -> Callable[[View], View]:
    """Limit one view to ``rate`` per ``key``, e.g. ``@ratelimit("5/m", key="ip")``.

    Args:
        rate: ``N/[k]unit`` or ``N per [k] unit``, e.g. ``100/h``, ``5/10m``,
            ``10/minute`` (see :func:`~prodready.ratelimit.rate.parse_rate`).
        key: ``ip``, ``user`` or ``user_or_ip``.
        methods: Methods to limit, one (``"POST"``) or several (all when omitted).
        method: The same, spelt as django-ratelimit spells it.
        block: Answer 429 past the limit (the default); with False the view
            runs with ``request.limited`` set to True instead.

    Raises:
        ValueError: at import time, for a malformed rate or key, or both
            ``methods`` and ``method``.
    """
    if key not in KEY_KINDS:
        raise ValueError(f"the key '{key}' is not one of ip, user, user_or_ip")
    if methods is not None and method is not None:
        raise ValueError("give methods= or method= (the same option), not both")
    parsed = parse_rate(rate)
    chosen = methods if methods is not None else method
    # A string is one method: iterating "POST" would give P, O, S, T.
    names = [chosen] if isinstance(chosen, str) else list(chosen or ())
    wanted = frozenset(m.strip().upper() for m in names if m.strip())

    def decorate(view: View) -> View:
        name = f"view-{view.__module__}.{view.__qualname__}-{parsed}-{key}".replace(" ", "")
        rule = Rule(prefix="/", rate=parsed, key=key, methods=wanted, name=name)
        # Worked out once, here, rather than on every request.
        rule_set = RuleSet((rule,))

        def applies(request: Any) -> bool:
            return rule.matches(request.method, request.path_info)

        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                limiter = get_limiter()
                decision = await limiter.acount(request, rule_set) if applies(request) else None
                if decision is not None and not decision.allowed:
                    if block:
                        return refusal(decision)
                    request.limited = True
                response = await view(request, *args, **kwargs)
                return add_headers(response, decision) if decision is not None else response

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            decision = get_limiter().count(request, rule_set) if applies(request) else None
            if decision is not None and not decision.allowed:
                if block:
                    return refusal(decision)
                request.limited = True
            response = view(request, *args, **kwargs)
            return add_headers(response, decision) if decision is not None else response

        return wrapper  # type: ignore[return-value]

    return decorate
