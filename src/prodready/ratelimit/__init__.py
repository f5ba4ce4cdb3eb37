"""Fixed-window rate limiting: exact under concurrency, one Redis round trip per request.

The names below are imported on first use (PEP 562), so that the Django-free
modules (``rules``, ``rate``) can be used without Django, as the load tests do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodready.exports import lazy_exports

if TYPE_CHECKING:
    from prodready.ratelimit.decorators import ais_ratelimited, exempt, is_ratelimited, ratelimit
    from prodready.ratelimit.keys import Key
    from prodready.ratelimit.limiter import Decision, Limiter, RuleResult
    from prodready.ratelimit.middleware import RateLimitMiddleware
    from prodready.ratelimit.rate import Rate, parse_rate
    from prodready.ratelimit.responses import Ratelimited
    from prodready.ratelimit.rules import Rule, RuleError, parse_rules

__all__ = [
    "Decision",
    "Key",
    "Limiter",
    "Rate",
    "RateLimitMiddleware",
    "Ratelimited",
    "Rule",
    "RuleError",
    "RuleResult",
    "ais_ratelimited",
    "exempt",
    "is_ratelimited",
    "parse_rate",
    "parse_rules",
    "ratelimit",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "ais_ratelimited": "prodready.ratelimit.decorators",
        "exempt": "prodready.ratelimit.decorators",
        "is_ratelimited": "prodready.ratelimit.decorators",
        "Key": "prodready.ratelimit.keys",
        "ratelimit": "prodready.ratelimit.decorators",
        "Decision": "prodready.ratelimit.limiter",
        "Limiter": "prodready.ratelimit.limiter",
        "RuleResult": "prodready.ratelimit.limiter",
        "RateLimitMiddleware": "prodready.ratelimit.middleware",
        "Rate": "prodready.ratelimit.rate",
        "parse_rate": "prodready.ratelimit.rate",
        "Ratelimited": "prodready.ratelimit.responses",
        "Rule": "prodready.ratelimit.rules",
        "RuleError": "prodready.ratelimit.rules",
        "parse_rules": "prodready.ratelimit.rules",
    },
)
