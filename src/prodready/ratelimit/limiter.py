"""The one core function: count a request against the rules that match it and decide."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from prodready.ratelimit.backends import Count, CounterBackend, Hit, StoreUnavailable
from prodready.ratelimit.identity import (
    TrustedProxies,
    address_key,
    client_address,
    parse_trusted_proxies,
    user_key,
)
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
        """Whole seconds until the next request can succeed.

        The largest reset among the rules with nothing left (``r=0``): a rule
        at its limit refuses the next request as surely as one past it, so a
        client that waits this long and retries is admitted.
        """
        spent = [r.reset_seconds for r in self.results if r.hits >= r.rule.rate.limit]
        return max(spent) if spent else math.ceil(RETRY_STORE_AFTER)


class _Outage:
    """Log one warning when the store goes away and one when it is back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None
        #: Whether the last call to the store failed (read without the lock).
        self.down = False

    def failed(self, reason: str, fail_open: bool) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = time.monotonic()
                self.down = True
                policy = "allowing requests" if fail_open else "refusing requests with 503"
                logger.warning(
                    "rate-limit store unavailable (%s); %s until it answers again", reason, policy
                )

    def succeeded(self) -> None:
        with self._lock:
            if self._down_since is not None:
                logger.warning(
                    "rate-limit store available again after %.1f s; limits apply",
                    time.monotonic() - self._down_since,
                )
                self._down_since = None
                self.down = False


def _address_identity(
    remote: str, forwarded: str, trusted: TrustedProxies, ipv6_prefix: int
) -> str | None:
    address = client_address({"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}, trusted)
    return None if address is None else address_key(address, ipv6_prefix)


class RuleSet:
    """The rules that match one kind of request, worked out once per route.

    The middleware keeps one per distinct set of matching rules; the limiter
    remembers, per rule set and client, which counters a request increments.

    Args:
        rules: The matching rules, in ``RATELIMIT_RULES`` order.
    """

    __slots__ = ("needs_user", "per_request", "rules")

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        #: Whether any rule can be keyed by the user (so ``request.user`` is read).
        self.needs_user = any(rule.keyer.uses_user for rule in self.rules)
        #: Whether any rule's key reads more than the address and the user
        #: (so the counters are worked out per request, not remembered).
        self.per_request = any(rule.keyer.per_request for rule in self.rules)


class _Plan(NamedTuple):
    # The rules that apply to a client and the counters they increment.
    rules: tuple[Rule, ...]
    hits: tuple[Hit, ...]


# Plans are kept per (rule set, client): the same client sends the same
# address (and header) request after request. Bounded: cleared when full.
_MAX_PLANS = 4096
# A longer address header (X-Forwarded-For, or REMOTE_ADDR as a proxy-aware
# server rewrote it) is junk or an attack: worked out, never kept.
_MAX_CACHED_HEADER = 256
_MISSING: Any = object()
# NamedTuple's own constructor is a Python function; on the per-request path
# the tuple is built directly (same object, a fraction of the cost).
_new = tuple.__new__
BAD_ADDRESS = Decision(allowed=False, bad_address=True)


class Limiter:
    """Count requests in fixed windows and decide, for the middleware and the decorator.

    The settings are read when a client is first seen and remembered with its
    counter keys: to change them, build a new limiter (``get_limiter()`` does
    when the Django settings change).

    Args:
        backend: Where the counters live.
        key_prefix: Prefix of every counter key.
        trusted_proxies: X-Forwarded-For hops to trust, or the proxies' networks.
        fail_open: Allow (True) or refuse (False) requests when the store is down.
        ipv6_prefix: IPv6 clients are counted by this network size.

    Each option left out takes the profile's default for its variable
    (``RATELIMIT_KEY_PREFIX``, ``RATELIMIT_TRUSTED_PROXIES``...).
    """

    def __init__(
        self,
        backend: CounterBackend,
        *,
        key_prefix: str | None = None,
        trusted_proxies: TrustedProxies | None = None,
        fail_open: bool | None = None,
        ipv6_prefix: int | None = None,
    ) -> None:
        # What is not given is the profile's default (RATELIMIT_KEY_PREFIX...): one place.
        from prodready.settings.profiles import default_of

        self.backend = backend
        self.key_prefix = default_of("ratelimit_key_prefix") if key_prefix is None else key_prefix
        self.trusted_proxies: TrustedProxies = (
            parse_trusted_proxies(default_of("ratelimit_trusted_proxies"))
            if trusted_proxies is None
            else trusted_proxies
        )
        self.fail_open = default_of("ratelimit_fail_open") if fail_open is None else fail_open
        self.ipv6_prefix = (
            default_of("ratelimit_ipv6_prefix") if ipv6_prefix is None else ipv6_prefix
        )
        self._outage = _Outage()
        self._plans: dict[tuple[RuleSet, str, str, str | None], _Plan | None] = {}
        self._rule_sets: dict[tuple[Rule, ...], RuleSet] = {}

    def close(self) -> None:
        """Release the store's connections."""
        self.backend.close()

    async def aclose(self) -> None:
        """Release the store's connections from inside the event loop."""
        await self.backend.aclose()

    def identity(self, request: Any, rule: Rule) -> str | None:
        """Return what ``rule`` counts for ``request``; '' when it does not apply.

        ``None`` means the rule is keyed by address and the request has no
        usable one.
        """
        user = user_key(getattr(request, "user", None)) if rule.keyer.uses_user else None
        meta = request.META
        forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "") if self.trusted_proxies else ""
        return self._identity(rule, request, str(meta.get("REMOTE_ADDR") or ""), forwarded, user)

    def _identity(
        self, rule: Rule, request: Any, remote: str, forwarded: str, user: str | None
    ) -> str | None:
        def address() -> str | None:
            return _address_identity(remote, forwarded, self.trusted_proxies, self.ipv6_prefix)

        return rule.keyer.identity(request, user, address)

    def _make_plan(
        self, rule_set: RuleSet, request: Any, remote: str, forwarded: str, user: str | None
    ) -> _Plan | None:
        rules: list[Rule] = []
        hits: list[Hit] = []
        for rule in rule_set.rules:
            identity = self._identity(rule, request, remote, forwarded, user)
            if identity is None:
                return None
            if identity:
                rules.append(rule)
                # The identity is the hash tag: on a cluster the keys of one
                # identity share a slot, so one script call covers them.
                hits.append(Hit(f"{self.key_prefix}:{{{identity}}}:{rule.name}", rule.rate.period))
        return _Plan(tuple(rules), tuple(hits))

    def _plan(self, request: Any, rule_set: RuleSet) -> _Plan | None:
        # Which counters this request increments; None: no usable address.
        meta = request.META
        remote = meta.get("REMOTE_ADDR") or ""
        # Without trusted proxies the header is never read, so junk in it cannot
        # churn the plans either.
        forwarded = (meta.get("HTTP_X_FORWARDED_FOR") or "") if self.trusted_proxies else ""
        user = user_key(getattr(request, "user", None)) if rule_set.needs_user else None
        if rule_set.per_request:  # depends on more of the request: never remembered
            return self._make_plan(rule_set, request, str(remote), str(forwarded), user)
        key = (rule_set, remote, forwarded, user)
        plans = self._plans
        plan = plans.get(key, _MISSING)
        if plan is _MISSING:
            plan = self._make_plan(rule_set, request, str(remote), str(forwarded), user)
            if len(forwarded) <= _MAX_CACHED_HEADER and len(remote) <= _MAX_CACHED_HEADER:
                if len(plans) >= _MAX_PLANS:
                    plans.clear()
                plans[key] = plan
        return plan  # type: ignore[no-any-return]

    def _decide(self, rules: tuple[Rule, ...], counts: list[Count]) -> Decision:
        if self._outage.down:
            self._outage.succeeded()
        if len(rules) == 1:  # the common case, without a loop
            hits, reset = counts[0]
            rule = rules[0]
            results: tuple[RuleResult, ...] = (_new(RuleResult, (rule, hits, reset)),)
            allowed = hits <= rule.rate.limit
        else:
            pairs = zip(rules, counts, strict=True)
            results = tuple([_new(RuleResult, (rule, *count)) for rule, count in pairs])
            allowed = all(r.hits <= r.rule.rate.limit for r in results)
        return _new(Decision, (results, allowed, False, False, False))

    def _failed(self, reason: str) -> Decision:
        self._outage.failed(reason, self.fail_open)
        if self.fail_open:
            return Decision(degraded=True)
        return Decision(allowed=False, unavailable=True)

    def rule_set(self, rules: Sequence[Rule]) -> RuleSet:
        """Return the one :class:`RuleSet` of ``rules`` (so that its plans are shared)."""
        key = tuple(rules)
        found = self._rule_sets.get(key)
        if found is None:
            if len(self._rule_sets) >= _MAX_PLANS:
                self._rule_sets.clear()
            found = self._rule_sets[key] = RuleSet(key)
        return found

    def check(self, request: Any, rules: Sequence[Rule]) -> Decision | None:
        """Count ``request`` against the ``rules`` that match it; ``None`` if none do."""
        method, path = request.method, request.path_info
        return self.count(request, [r for r in rules if r.matches(method, path)])

    async def acheck(self, request: Any, rules: Sequence[Rule]) -> Decision | None:
        """Like :meth:`check`, without blocking the event loop."""
        method, path = request.method, request.path_info
        return await self.acount(request, [r for r in rules if r.matches(method, path)])

    def count(self, request: Any, matching: Sequence[Rule] | RuleSet) -> Decision | None:
        """Count ``request`` against rules already known to match it.

        Returns ``None`` when no rule applies (no rules, or only ``user``
        rules and an anonymous request).
        """
        rule_set = matching if isinstance(matching, RuleSet) else self.rule_set(matching)
        plan = self._plan(request, rule_set)
        if plan is None:
            return BAD_ADDRESS
        if not plan.hits:
            return None
        try:
            counts = self.backend.hit(plan.hits)
        except StoreUnavailable as err:
            return self._failed(str(err))
        return self._decide(plan.rules, counts)

    async def acount(self, request: Any, matching: Sequence[Rule] | RuleSet) -> Decision | None:
        """Like :meth:`count`, without blocking the event loop."""
        rule_set = matching if isinstance(matching, RuleSet) else self.rule_set(matching)
        plan = self._plan(request, rule_set)
        if plan is None:
            return BAD_ADDRESS
        if not plan.hits:
            return None
        try:
            counts = await self.backend.ahit(plan.hits)
        except StoreUnavailable as err:
            return self._failed(str(err))
        return self._decide(plan.rules, counts)
