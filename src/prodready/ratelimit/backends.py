"""Where counts live: Redis (one Lua call per request) or any Django cache."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any, NamedTuple, Protocol

from asgiref.sync import sync_to_async
from redis.exceptions import NoScriptError, RedisError

_time = time.time

FIXED_WINDOW_LUA = (
    resources.files("prodready.ratelimit").joinpath("lua/fixed_window.lua").read_text("utf-8")
)


# A NamedTuple rather than a dataclass: built for every new client, and a
# tuple is the cheapest object Python constructs.
class Hit(NamedTuple):
    """One counter to increment: its base key and window length in seconds."""

    key: str
    period: int


#: A counter's value after the increment, and seconds until its window ends.
#: A plain tuple: one is built per rule on every request.
Count = tuple[int, float]


class StoreUnavailable(Exception):
    """The counter store did not answer in time; the limiter applies its failure policy."""


class CounterBackend(Protocol):
    """Increment fixed-window counters; the only thing the limiter asks of a store."""

    def hit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment every counter of one request; raise StoreUnavailable on failure."""
        ...

    async def ahit(self, hits: Sequence[Hit]) -> list[Count]:
        """Like :meth:`hit`, without blocking the event loop."""
        ...

    def close(self) -> None:
        """Release connections (at shutdown)."""
        ...

    async def aclose(self) -> None:
        """Release the connections of the running event loop (at shutdown)."""
        ...


def _counts(raw: Sequence[Any]) -> list[Count]:
    return [(raw[i], raw[i + 1] / 1000) for i in range(0, len(raw), 2)]


class _Held:
    """A thread's own Redis connection; closed when the thread (and so this) goes away."""

    __slots__ = ("__weakref__", "connection", "pid")

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.pid = os.getpid()

    def __del__(self) -> None:
        # Nothing to do about a failed close at teardown.
        with contextlib.suppress(Exception):
            self.connection.disconnect()


class Breaker:
    """Fail fast while a store is down; let one call through every ``retry_after`` seconds.

    Without it every request would wait the full timeout of a hung store; with
    it, only the calls in flight when the store stops answering do, and the
    rest get the failure policy at once until a trial call succeeds.
    """

    __slots__ = ("_lock", "_reason", "failures", "retry_after", "retry_at")

    def __init__(self, retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        #: 0.0 while the store answers; else when the next trial call may go (monotonic).
        self.retry_at = 0.0
        #: Failures so far: a call that started before the latest one cannot close the breaker.
        self.failures = 0
        self._reason = ""
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise StoreUnavailable unless the store is up or this call is the trial."""
        with self._lock:
            now = time.monotonic()
            if now < self.retry_at:
                raise StoreUnavailable(f"{self._reason}; next try in under {self.retry_after:g} s")
            self.retry_at = now + self.retry_after  # this caller is the trial

    def failed(self, reason: str) -> None:
        """Record a failure: calls fail fast for ``retry_after`` seconds."""
        with self._lock:
            self._reason = reason
            self.failures += 1
            self.retry_at = time.monotonic() + self.retry_after

    def succeeded(self, failures: int) -> None:
        """Record a success of a call that started after ``failures`` failures."""
        with self._lock:
            if failures == self.failures:  # no failure since the call started
                self.retry_at = 0.0


# Threads per process that talk to Redis for async requests. Each holds one
# connection; a burst queues for them (queueing is not an outage).
ASYNC_THREADS = 8


class RedisBackend:
    """Counters in Redis: one EVALSHA per request, whatever the number of rules.

    Timeouts are socket timeouts, which the kernel counts: a reply that has
    arrived is read however long the process took to get to it, so load on
    the app (a busy event loop, the GIL) is never taken for an outage. Only a
    refused connection or a store silent for ``timeout`` is.

    Async requests are counted by the same code in a small pool of threads
    (:data:`ASYNC_THREADS`, one connection each): asyncio's own timeouts fire
    on the event loop's clock and would count its lag against the store.

    Args:
        client_factory: Builds the sync redis-py client (``Redis`` or
            ``RedisCluster``); called on first use, so a store that is down
            at start-up is an outage like any other, not an error.
        cluster: Keys of different identities live in different slots on a
            cluster, so one call is made per identity there.
        retry_after: Seconds between trial calls while the store is down.
    """

    def __init__(
        self, client_factory: Callable[[], Any], *, cluster: bool = False, retry_after: float = 1.0
    ) -> None:
        self._factory = client_factory
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._local = threading.local()
        self._opened: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._packed_cache: dict[tuple[Hit, ...], Any] = {}
        # SHA1 of the script, as EVALSHA wants it; the script is loaded on first NOSCRIPT.
        self._sha = hashlib.sha1(FIXED_WINDOW_LUA.encode(), usedforsecurity=False).hexdigest()
        self._cluster = cluster
        self.breaker = Breaker(retry_after)
        self._executor: tuple[int, ThreadPoolExecutor] | None = None

    @property
    def client(self) -> Any:
        """The sync client, built on first use."""
        client = self._client
        if client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._factory()
                client = self._client
        return client

    def _groups(self, hits: Sequence[Hit]) -> list[list[Hit]]:
        if not self._cluster:
            return [list(hits)]
        groups: dict[str, list[Hit]] = {}
        for hit in hits:
            tag = hit.key[hit.key.find("{") : hit.key.find("}") + 1]
            groups.setdefault(tag, []).append(hit)
        return list(groups.values())

    def _connection(self) -> Any:
        # One connection per thread, bypassing the pool's lock and bookkeeping
        # on every request. A forked child never reuses its parent's socket.
        held: _Held | None = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():
            pool = self.client.connection_pool
            held = _Held(pool.connection_class(**pool.connection_kwargs))
            self._local.held = held
            self._opened.add(held)
        return held.connection

    def _packed(self, connection: Any, group: Sequence[Hit]) -> Any:
        # The same client sends the same command request after request (the
        # window index is computed by the script), so its bytes are kept.
        key = tuple(group)
        packed = self._packed_cache.get(key)
        if packed is None:
            if len(self._packed_cache) >= 4096:
                self._packed_cache.clear()
            keys = [h.key for h in group]
            packed = connection.pack_command(
                "EVALSHA", self._sha, len(keys), *keys, *[h.period for h in group]
            )
            self._packed_cache[key] = packed
        return packed

    def _eval(self, group: Sequence[Hit]) -> Any:
        if self._cluster:
            client = self.client
            keys = [h.key for h in group]
            args = [h.period for h in group]
            try:
                return client.evalsha(self._sha, len(keys), *keys, *args)
            except NoScriptError:
                client.script_load(FIXED_WINDOW_LUA)
                return client.evalsha(self._sha, len(keys), *keys, *args)
        connection = self._connection()
        try:
            try:
                connection.send_packed_command(self._packed(connection, group), check_health=False)
                return connection.read_response()
            except NoScriptError:
                # The server lost its script cache (restart, SCRIPT FLUSH): load it again.
                connection.send_command("SCRIPT", "LOAD", FIXED_WINDOW_LUA, check_health=False)
                connection.read_response()
                connection.send_packed_command(self._packed(connection, group), check_health=False)
                return connection.read_response()
        except BaseException:
            # A half-read reply must not be read by the next request.
            connection.disconnect()
            raise

    def hit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment the counters in one round trip (one per identity on a cluster)."""
        breaker = self.breaker
        if breaker.retry_at:
            breaker.check()
        failures = breaker.failures
        try:
            if not self._cluster:
                raw = self._eval(hits)
            else:
                raw = []
                for group in self._groups(hits):
                    raw += self._eval(group)
        except Exception as err:
            # RedisError and OSError mostly, but a client bug must not become a 500 either.
            # Only their messages are shown: others may quote the URL (and its password).
            reason = type(err).__name__
            if isinstance(err, RedisError | OSError):
                reason += f": {err}"
            breaker.failed(reason)
            raise StoreUnavailable(reason) from err
        if breaker.retry_at:
            breaker.succeeded(failures)
        return _counts(raw)

    def _pool(self) -> ThreadPoolExecutor:
        # Threads do not survive fork: a child builds its own pool.
        entry = self._executor
        if entry is None or entry[0] != os.getpid():
            with self._client_lock:
                entry = self._executor
                if entry is None or entry[0] != os.getpid():
                    pool = ThreadPoolExecutor(ASYNC_THREADS, thread_name_prefix="prodready-redis")
                    entry = self._executor = (os.getpid(), pool)
        return entry[1]

    async def ahit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment the counters from a thread of the backend's own pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), self.hit, hits)

    def close(self) -> None:
        """Close the client's connections and stop the async pool's threads."""
        entry, self._executor = self._executor, None
        if entry is not None and entry[0] == os.getpid():
            entry[1].shutdown(wait=False, cancel_futures=True)
        for held in list(self._opened):
            held.connection.disconnect()
        self._local = threading.local()
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Like :meth:`close`, from inside the event loop."""
        self.close()


class MemoryBackend:
    """Counters in this process's memory: what a local-memory cache gives, without its cost.

    Exact across the threads of one process; each worker process counts on
    its own (prodready.W001 warns when WEB_CONCURRENCY > 1). Counters of ended
    windows are dropped every few seconds, so memory follows live windows.
    """

    _SWEEP_EVERY = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> [end of its window (epoch seconds), count]
        self._counters: dict[str, list[Any]] = {}
        self._next_sweep = 0.0

    def hit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment each counter in memory."""
        counts: list[Count] = []
        with self._lock:
            now = _time()  # under the lock: windows open in the order of the hits
            counters = self._counters
            for key, period in hits:
                entry = counters.get(key)
                # A new window when the counter's has ended, or when the clock
                # stepped back before its start (NTP, a resumed VM).
                if entry is None or not entry[0] - period <= now < entry[0]:
                    # Windows are aligned on multiples of the period, as in Redis.
                    counters[key] = entry = [(now // period + 1) * period, 0]
                entry[1] += 1
                counts.append((entry[1], entry[0] - now))
            if now >= self._next_sweep:
                self._sweep(now)
        return counts

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._SWEEP_EVERY
        ended = [key for key, (end, _) in self._counters.items() if end <= now]
        for key in ended:
            del self._counters[key]

    def __len__(self) -> int:
        return len(self._counters)

    async def ahit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment each counter; no I/O, so no thread hop."""
        return self.hit(hits)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""


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
