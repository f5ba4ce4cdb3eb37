"""Build the process's limiter from the run-time settings, once."""

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
    RedisBackend,
)
from prodready.ratelimit.limiter import Limiter
from prodready.ratelimit.rules import Rule, parse_rules


def redis_backend(url: str, timeout: float, *, cluster: bool = False) -> RedisBackend:
    """Return a Redis counter backend; its client is built (and connects) on first use.

    ``timeout`` bounds connecting and waiting for each reply, as socket
    timeouts (counted by the kernel, so a reply the app is slow to read is
    not a timeout). There are no retries on a standalone server: a refused
    connection fails at once and a silent one after ``timeout``, then the
    failure policy applies.
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    if cluster:
        # The cluster client keeps redis-py's own retries: it follows slot
        # moves. The timeout then bounds each attempt.
        options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        return RedisBackend(lambda: redis.RedisCluster.from_url(url, **options), cluster=True)
    options = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }
    return RedisBackend(lambda: redis.Redis.from_url(url, **options))


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


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting in ("PRODREADY", "CACHES"):
        get_limiter.cache_clear()
        get_rules.cache_clear()
