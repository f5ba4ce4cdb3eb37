"""``@ratelimit`` for one view, ``is_ratelimited()`` inside one, ``@exempt`` to opt out.

They speak the dialect of django-ratelimit, DRF and limits: ``methods`` or
``method`` as a string or a list; rates such as ``5/m``, ``100/hour``,
``5/10m`` or ``10 per minute``; keys ``ip``, ``user``, ``user_or_ip``,
``header:<name>``, a callable or a dotted path to one; ``block=False``;
``group`` to share a counter between views. All of it is thin over the
process's limiter, so the counters live where the middleware's do.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction

from prodready.ratelimit.keys import Key, parse_key
from prodready.ratelimit.limiter import Decision, RuleSet
from prodready.ratelimit.middleware import EXEMPT_ATTRIBUTE
from prodready.ratelimit.process import get_limiter
from prodready.ratelimit.rate import Rate, parse_rate
from prodready.ratelimit.responses import add_headers, arefusal, refusal
from prodready.ratelimit.rules import Rule

View = TypeVar("View", bound=Callable[..., Any])
KeySpec = str | Callable[..., Any] | Key


def exempt[View: Callable[..., Any]](view: View) -> View:
    """Mark ``view`` so that ``RateLimitMiddleware`` never limits it."""
    setattr(view, EXEMPT_ATTRIBUTE, True)
    return view


def _methods(
    methods: str | Iterable[str] | None, method: str | Iterable[str] | None
) -> frozenset[str]:
    if methods is not None and method is not None:
        raise ValueError("give methods= or method= (the same option), not both")
    chosen = methods if methods is not None else method
    # A string is one method: iterating "POST" would give P, O, S, T.
    names = [chosen] if isinstance(chosen, str) else list(chosen or ())
    return frozenset(m.strip().upper() for m in names if m.strip())


def _rule(rate: Rate, key: KeySpec, methods: frozenset[str], group: str) -> RuleSet:
    keyer = parse_key(key, group)  # a key function gets this rule's group
    name = f"{group}-{rate}-{keyer.spec}".replace(" ", "")
    return RuleSet(
        (Rule(prefix="/", rate=rate, key=keyer.spec, methods=methods, name=name, keyer=keyer),)
    )


def ratelimit(
    rate: str,
    key: KeySpec = "user_or_ip",
    methods: str | Iterable[str] | None = None,
    *,
    method: str | Iterable[str] | None = None,
    block: bool = True,
    group: str | None = None,
) -> Callable[[View], View]:
    """Limit one view to ``rate`` per ``key``, e.g. ``@ratelimit("5/m", key="ip")``.

    Args:
        rate: ``N/[k]unit`` or ``N per [k] unit``, e.g. ``100/h``, ``5/10m``,
            ``10/minute`` (see :func:`~prodready.ratelimit.rate.parse_rate`).
        key: ``ip``, ``user``, ``user_or_ip``, ``header:<name>``, a callable
            ``key(request)`` or ``key(group, request)``, or a dotted path to
            one (see :mod:`prodready.ratelimit.keys`).
        methods: Methods to limit, one (``"POST"``) or several (all when omitted).
        method: The same, spelt as django-ratelimit spells it.
        block: Answer 429 past the limit (the default); with False the view
            runs with ``request.limited`` set to True instead.
        group: The counter's name; views with the same group, rate and key
            share one counter (default: the view's dotted name).

    Raises:
        ValueError: at import time, for a malformed rate or key, or both
            ``methods`` and ``method``.
    """
    wanted = _methods(methods, method)
    # Refused here, at import time, not at the first request.
    parsed = parse_rate(rate)
    parse_key(key)

    def decorate(view: View) -> View:
        # Worked out once, here, rather than on every request.
        name = group or f"view-{view.__module__}.{view.__qualname__}"
        rule_set = _rule(parsed, key, wanted, name)
        rule = rule_set.rules[0]

        def applies(request: Any) -> bool:
            return rule.matches(request.method, request.path_info)

        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                limiter = get_limiter()
                decision = await limiter.acount(request, rule_set) if applies(request) else None
                if decision is not None and not decision.allowed:
                    if block:
                        return await arefusal(decision, request)
                    request.limited = True
                response = await view(request, *args, **kwargs)
                return add_headers(response, decision) if decision is not None else response

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            decision = get_limiter().count(request, rule_set) if applies(request) else None
            if decision is not None and not decision.allowed:
                if block:
                    return refusal(decision, request)
                request.limited = True
            response = view(request, *args, **kwargs)
            return add_headers(response, decision) if decision is not None else response

        return wrapper  # type: ignore[return-value]

    return decorate


# One rule set per (group, rate, key, methods), so that calls share their counters' plans.
_RULE_SETS: dict[tuple[str, str, str, frozenset[str]], RuleSet] = {}
_RULE_SETS_LOCK = threading.Lock()
_MAX_RULE_SETS = 1024


def is_ratelimited(
    request: Any,
    rate: str,
    key: str | Key = "user_or_ip",
    group: str = "default",
    methods: str | Iterable[str] | None = None,
    *,
    method: str | Iterable[str] | None = None,
) -> bool:
    """Count ``request`` against ``rate`` per ``key`` in ``group``; tell whether it is past.

    For limits decided inside a view (a login form that counts failed
    attempts only, say). It sets ``request.limited`` as the decorator does and
    leaves the answer to the caller. When the store is down it follows
    ``RATELIMIT_FAIL_OPEN``: past the limit only when failing closed. A
    request whose method is not in ``methods`` is not counted.

    Args:
        request: The request.
        rate: As for :func:`ratelimit`.
        key: ``ip``, ``user``, ``user_or_ip``, ``header:<name>`` or a dotted
            path to a key function (a callable key: use the decorator).
        group: The counter's name; the same group, rate and key share a counter.
        methods: Methods counted (all when omitted); ``method`` is the same.
        method: django-ratelimit's spelling of ``methods``.

    Raises:
        ValueError: for a malformed rate or key.
    """
    rule_set = _applying(request, rate, key, group, _methods(methods, method))
    return _limited(request, get_limiter().count(request, rule_set) if rule_set else None)


async def ais_ratelimited(
    request: Any,
    rate: str,
    key: str | Key = "user_or_ip",
    group: str = "default",
    methods: str | Iterable[str] | None = None,
    *,
    method: str | Iterable[str] | None = None,
) -> bool:
    """Like :func:`is_ratelimited`, for async views: it does not block the event loop."""
    rule_set = _applying(request, rate, key, group, _methods(methods, method))
    return _limited(request, await get_limiter().acount(request, rule_set) if rule_set else None)


def _limited(request: Any, decision: Decision | None) -> bool:
    limited = decision is not None and not decision.allowed
    request.limited = getattr(request, "limited", False) or limited
    return limited


def _applying(
    request: Any, rate: str, key: str | Key, group: str, methods: frozenset[str]
) -> RuleSet | None:
    """Return the shared rule set of these arguments, if it covers ``request``."""
    spec = key.spec if isinstance(key, Key) else str(key)
    index = (group, rate, spec, methods)
    rule_set = _RULE_SETS.get(index)
    if rule_set is None:
        rule_set = _rule(parse_rate(rate), key, methods, group)
        with _RULE_SETS_LOCK:
            if len(_RULE_SETS) >= _MAX_RULE_SETS:
                _RULE_SETS.clear()
            _RULE_SETS[index] = rule_set
    return rule_set if rule_set.rules[0].matches(request.method, request.path_info) else None
