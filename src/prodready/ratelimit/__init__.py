"""Fixed-window rate limiting: exact under concurrency, one Redis round trip per request."""

from __future__ import annotations

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
