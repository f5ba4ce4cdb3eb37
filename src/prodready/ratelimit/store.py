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

ASYNC_POOL_SIZE = 32


def redis_backend(url: str, timeout: float, *, cluster: bool = False) -> RedisBackend:
    """Return a Redis counter backend with one client (connection pool) per process.

    ``timeout`` bounds connecting and every reply; there are no retries, so a
    down or slow Redis costs at most ``timeout`` before the failure policy applies.
    """
    import redis
    import redis.asyncio
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }
    async_options = {**options, "retry": redis.asyncio.retry.Retry(NoBackoff(), 0)}
    if cluster:
        # The cluster clients keep redis-py's own retries: they follow slot
        # moves and, in redis.asyncio, recover connections a burst of first
        # commands races on. The timeout then bounds each attempt.
        cluster_options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        return RedisBackend(
            redis.RedisCluster.from_url(url, **cluster_options),
            lambda: redis.asyncio.RedisCluster.from_url(url, **cluster_options),
            cluster=True,
        )

    def async_client() -> Any:
        # A bounded pool: a burst of requests queues for a few connections
        # instead of opening one connection per request at once.
        pool = redis.asyncio.BlockingConnectionPool.from_url(
            url, max_connections=ASYNC_POOL_SIZE, timeout=timeout, **async_options
        )
        return redis.asyncio.Redis.from_pool(pool)  # closes the pool on aclose()

    return RedisBackend(redis.Redis.from_url(url, **options), async_client)


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
