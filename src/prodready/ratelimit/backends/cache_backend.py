"""Counts in any Django cache (add, then incr): for caches other than Redis and local memory."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async

from prodready.ratelimit.backends.base import Count, Hit, StoreUnavailable


class CacheBackend:
    """Counters in any Django cache, with ``add`` then ``incr``.

    Never ``get`` + ``set`` (two requests would read the same count) and never
    ``aincr`` (Django's default is a get and a set). ``incr`` is atomic in
    local memory, memcached and Redis; the window index comes from this
    process's clock. Local memory counts per process.

    Args:
        cache: A Django cache, e.g. ``django.core.cache.caches["default"]``.
    """

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        module = type(cache).__module__
        # Local memory does no I/O: calling it from the event loop is cheaper
        # than a thread hop. Other caches go through a worker thread.
        self._in_memory = module.endswith("locmem")
        self._ahit = sync_to_async(self.hit, thread_sensitive=False)

    def _one(self, hit: Hit, now: float) -> Count:
        window = math.floor(now / hit.period)
        key = f"{hit.key}:{window}"
        timeout = hit.period + 1
        reset = hit.period - (now % hit.period)
        for _ in range(3):
            self._cache.add(key, 0, timeout)
            try:
                return (int(self._cache.incr(key)), reset)
            except ValueError:
                # The key expired or was evicted between add and incr: add again.
                continue
        raise StoreUnavailable("the cache kept losing the counter key")

    def hit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment each counter in the cache."""
        now = time.time()
        try:
            return [self._one(hit, now) for hit in hits]
        except StoreUnavailable:
            raise
        except Exception as err:  # a cache backend may raise anything on outage
            raise StoreUnavailable(f"{type(err).__name__}: {err}") from err

    async def ahit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment each counter; off the event loop unless the cache is in memory."""
        if self._in_memory:
            return self.hit(hits)
        result: list[Count] = await self._ahit(hits)
        return result

    def close(self) -> None:
        """Nothing to release: Django closes its caches."""

    async def aclose(self) -> None:
        """Nothing to release: Django closes its caches."""
