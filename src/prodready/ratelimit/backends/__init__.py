"""Where counts live: one backend per module.

- :mod:`~prodready.ratelimit.backends.redis_backend`: Redis, one Lua call per request;
- :mod:`~prodready.ratelimit.backends.memory_backend`: this process's memory;
- :mod:`~prodready.ratelimit.backends.cache_backend`: any other Django cache;
- :mod:`~prodready.ratelimit.backends.base`: what the limiter asks of them all.
"""

from __future__ import annotations

from prodready.ratelimit.backends.base import Count, CounterBackend, Hit, StoreUnavailable
from prodready.ratelimit.backends.breaker import Breaker
from prodready.ratelimit.backends.cache_backend import CacheBackend
from prodready.ratelimit.backends.memory_backend import MemoryBackend
from prodready.ratelimit.backends.redis_backend import (
    ASYNC_THREADS,
    FIXED_WINDOW_LUA,
    RedisBackend,
    redis_backend,
)

__all__ = [
    "ASYNC_THREADS",
    "FIXED_WINDOW_LUA",
    "Breaker",
    "CacheBackend",
    "Count",
    "CounterBackend",
    "Hit",
    "MemoryBackend",
    "RedisBackend",
    "StoreUnavailable",
    "redis_backend",
]
