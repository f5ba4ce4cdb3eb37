"""This process's limiter and rules: built from the run-time settings once, closed at shutdown."""

from __future__ import annotations

import functools
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.dispatch import receiver

from prodready.conf import get_conf
from prodready.ratelimit.backends import (
    CacheBackend,
    CounterBackend,
    MemoryBackend,
    redis_backend,
)
from prodready.ratelimit.limiter import Limiter
from prodready.ratelimit.rules import Rule, parse_rules


@functools.cache
def get_limiter() -> Limiter:
    """Return this process's limiter: Redis when ``REDIS_URL`` is set, else the default cache."""
    conf = get_conf()
    backend: CounterBackend
    if conf.redis_url:
        backend = redis_backend(
            conf.redis_url, conf.ratelimit_timeout, cluster=conf.ratelimit_redis_cluster
        )
    else:
        cache = caches["default"]
        # Local memory is per process either way; counting in a dict of our own
        # is the same behaviour at a fraction of LocMemCache's cost (pickling,
        # LRU bookkeeping, two calls per hit).
        backend = MemoryBackend() if isinstance(cache, LocMemCache) else CacheBackend(cache)
    return Limiter(
        backend,
        key_prefix=conf.ratelimit_key_prefix,
        trusted_proxies=conf.ratelimit_trusted_proxies,
        fail_open=conf.ratelimit_fail_open,
        ipv6_prefix=conf.ratelimit_ipv6_prefix,
    )


@functools.cache
def get_rules() -> tuple[Rule, ...]:
    """Return the parsed ``RATELIMIT_RULES`` (empty when rate limiting is off)."""
    conf = get_conf()
    return parse_rules(conf.ratelimit_rules) if conf.ratelimit_enabled else ()


async def close_limiter() -> None:
    """Release the limiter's connections, if it was built (building one would connect)."""
    if get_limiter.cache_info().currsize:
        await get_limiter().aclose()


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting in ("PRODREADY", "CACHES"):
        get_limiter.cache_clear()
        get_rules.cache_clear()
