"""The one core function: count a request against the rules that match it and decide."""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from prodready.ratelimit.backends import Count, CounterBackend, Hit, StoreUnavailable
from prodready.ratelimit.identity import address_key, client_address, user_key
from prodready.ratelimit.rules import Rule

logger = logging.getLogger("prodready.ratelimit")

# What a refused request is told to wait when the store is down.
RETRY_STORE_AFTER = 1.0


class RuleResult(NamedTuple):
    """How one rule stands after this request."""

    rule: Rule
    hits: int
    reset: float

    @property
    def allowed(self) -> bool:
        """The decision: one comparison."""
        return self.hits <= self.rule.rate.limit

    @property
    def remaining(self) -> int:
        """Requests left in the window."""
        return max(0, self.rule.rate.limit - self.hits)

    @property
    def reset_seconds(self) -> int:
        """Whole seconds until the window ends, rounded up (at least 1)."""
        return max(1, math.ceil(self.reset))


class Decision(NamedTuple):
    """The verdict on one request.

    Attributes:
        results: One entry per rule that applied (empty when the store was down).
        allowed: Whether the request may go on.
        unavailable: The store failed and the policy is to refuse (fail closed).
        bad_address: No usable client address for an address-keyed rule.
        degraded: The store failed and the policy is to allow (fail open).
    """

    results: tuple[RuleResult, ...] = ()
    allowed: bool = True
    unavailable: bool = False
    bad_address: bool = False
    degraded: bool = False

    @property
    def retry_after(self) -> int:
        """Whole seconds until a refused request can succeed."""
        denied = [r.reset_seconds for r in self.results if not r.allowed]
        return max(denied) if denied else math.ceil(RETRY_STORE_AFTER)


class _Outage:
    """Log one warning when the store goes away and one when it is back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None

    def failed(self, reason: str, fail_open: bool) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = time.monotonic()
                policy = "allowing requests" if fail_open else "refusing requests with 503"
                logger.warning(
                    "rate-limit store unavailable (%s); %s until it answers again", reason, policy
                )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is not None:
                logger.warning(
                    "rate-limit store available again after %.1f s; limits apply",
                    time.monotonic() - self._down_since,
                )
                self._down_since = None


@functools.lru_cache(maxsize=4096)
def _address_identity(remote: str, forwarded: str, hops: int, ipv6_prefix: int) -> str | None:
    # Cached: the same client sends the same header values request after request.
    address = client_address({"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}, hops)
    return None if address is None else address_key(address, ipv6_prefix)


class Limiter:
    """Count requests in fixed windows and decide, for the middleware and the decorator.

    Args:
        backend: Where the counters live.
        key_prefix: Prefix of every counter key.
        trusted_proxies: X-Forwarded-For hops to trust.
        fail_open: Allow (True) or refuse (False) requests when the store is down.
        ipv6_prefix: IPv6 clients are counted by this network size.
    """

    def __init__(
        self,
        backend: CounterBackend,
        *,
        key_prefix: str = "rl",
        trusted_proxies: int = 0,
        fail_open: bool = True,
        ipv6_prefix: int = 64,
    ) -> None:
        self.backend = backend
        self.key_prefix = key_prefix
        self.trusted_proxies = trusted_proxies
        self.fail_open = fail_open
        self.ipv6_prefix = ipv6_prefix
        self._outage = _Outage()

    def close(self) -> None:
        """Release the store's connections."""
        self.backend.close()

    async def aclose(self) -> None:
        """Release the store's connections from inside the event loop."""
        await self.backend.aclose()

    def identity(self, request: Any, rule: Rule) -> str | None:
        """Return what ``rule`` counts for ``request``; '' when it does not apply."""
        if rule.key != "ip":
            user = user_key(getattr(request, "user", None))
            if user is not None or rule.key == "user":
                return user or ""  # a 'user' rule does not apply to anonymous requests
        meta = request.META
        # Without trusted proxies the header is never read, so junk in it cannot
        # churn the cache either.
        forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "") if self.trusted_proxies else ""
        return _address_identity(
            str(meta.get("REMOTE_ADDR") or ""), forwarded, self.trusted_proxies, self.ipv6_prefix
        )

    def _plan(self, request: Any, rules: Sequence[Rule]) -> tuple[list[Rule], list[Hit]] | None:
        applied: list[Rule] = []
        hits: list[Hit] = []
        for rule in rules:
            identity = self.identity(request, rule)
            if identity is None:
                return None
            if identity:
                applied.append(rule)
                # The identity is the hash tag: on a cluster the keys of one
                # identity share a slot, so one script call covers them.
                hits.append(Hit(f"{self.key_prefix}:{{{identity}}}:{rule.name}", rule.rate.period))
        return applied, hits

    def _decide(self, applied: list[Rule], counts: list[Count]) -> Decision:
        self._outage.succeeded()
        results = tuple(
            [RuleResult(rule, c[0], c[1]) for rule, c in zip(applied, counts, strict=True)]
        )
        allowed = all(r.hits <= r.rule.rate.limit for r in results)
        return Decision(results, allowed)

    def _failed(self, reason: str) -> Decision:
        self._outage.failed(reason, self.fail_open)
        if self.fail_open:
            return Decision(degraded=True)
        return Decision(allowed=False, unavailable=True)

    def check(self, request: Any, rules: Sequence[Rule]) -> Decision | None:
        """Count ``request`` against the ``rules`` that match it; ``None`` if none do."""
        method, path = request.method, request.path_info
        return self.count(request, [r for r in rules if r.matches(method, path)])

    async def acheck(self, request: Any, rules: Sequence[Rule]) -> Decision | None:
        """Like :meth:`check`, without blocking the event loop."""
        method, path = request.method, request.path_info
        return await self.acount(request, [r for r in rules if r.matches(method, path)])

    def _prepare(
        self, request: Any, matching: Sequence[Rule]
    ) -> tuple[Decision | None, list[Rule], list[Hit]]:
        # (an early decision, the rules that apply, the counters to increment)
        if not matching:
            return None, [], []
        planned = self._plan(request, matching)
        if planned is None:
            return Decision(allowed=False, bad_address=True), [], []
        return None, *planned

    def count(self, request: Any, matching: Sequence[Rule]) -> Decision | None:
        """Count ``request`` against rules already known to match it."""
        early, applied, hits = self._prepare(request, matching)
        if not hits:
            return early
        try:
            counts = self.backend.hit(hits)
        except StoreUnavailable as err:
            return self._failed(str(err))
        return self._decide(applied, counts)

    async def acount(self, request: Any, matching: Sequence[Rule]) -> Decision | None:
        """Like :meth:`count`, without blocking the event loop."""
        early, applied, hits = self._prepare(request, matching)
        if not hits:
            return early
        try:
            counts = await self.backend.ahit(hits)
        except StoreUnavailable as err:
            return self._failed(str(err))
        return self._decide(applied, counts)
