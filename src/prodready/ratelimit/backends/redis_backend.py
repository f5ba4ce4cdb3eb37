"""Counts in Redis: one Lua call (EVALSHA) per request, with kernel-counted timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

from redis.exceptions import NoScriptError, RedisError

from prodready.ratelimit.backends.base import Count, Hit, StoreUnavailable
from prodready.ratelimit.backends.breaker import Breaker

FIXED_WINDOW_LUA = (
    resources.files("prodready.ratelimit").joinpath("lua/fixed_window.lua").read_text("utf-8")
)


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
