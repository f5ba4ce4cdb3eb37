"""Fixed-window rate limiting: exact under concurrency, one Redis round trip per request.

The names below are imported on first use (PEP 562), so that the Django-free
modules (``rules``, ``rate``) can be used without Django, as the load tests do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodready.ratelimit.decorators import exempt, ratelimit
    from prodready.ratelimit.limiter import Decision, Limiter, RuleResult
    from prodready.ratelimit.middleware import RateLimitMiddleware
    from prodready.ratelimit.rate import Rate, parse_rate
    from prodready.ratelimit.rules import Rule, RuleError, parse_rules

__all__ = [
    "Decision",
    "Limiter",
    "Rate",
    "RateLimitMiddleware",
    "Rule",
    "RuleError",
    "RuleResult",
    "exempt",
    "parse_rate",
    "parse_rules",
    "ratelimit",
]

_HOMES = {
    "exempt": "decorators",
    "ratelimit": "decorators",
    "Decision": "limiter",
    "Limiter": "limiter",
    "RuleResult": "limiter",
    "RateLimitMiddleware": "middleware",
    "Rate": "rate",
    "parse_rate": "rate",
    "Rule": "rules",
    "RuleError": "rules",
    "parse_rules": "rules",
}


def __getattr__(name: str) -> Any:
    """Import an exported name from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'prodready.ratelimit' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"prodready.ratelimit.{home}"), name)
