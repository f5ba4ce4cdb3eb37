"""The HTTP face of a decision: 429, 503 or 400 bodies and the RateLimit headers.

Header syntax follows draft-ietf-httpapi-ratelimit-headers (-08 and later):
``RateLimit-Policy: "name";q=100;w=3600`` and ``RateLimit: "name";r=42;t=17``,
one list member per rule that applied.
"""

from __future__ import annotations

from math import ceil

from django.http import HttpResponseBase, JsonResponse

from prodready.ratelimit.limiter import Decision


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
    if not results or "RateLimit" in response.headers:
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
        store = response.headers._store
    except AttributeError:  # pragma: no cover - a Django without the private store
        response.headers["RateLimit-Policy"] = policy
        response.headers["RateLimit"] = value
    else:
        store["ratelimit-policy"] = ("RateLimit-Policy", policy)
        store["ratelimit"] = ("RateLimit", value)
    return response


def refusal(decision: Decision) -> JsonResponse:
    """Return the response for a refused request: 429, 503 (store down) or 400."""
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
