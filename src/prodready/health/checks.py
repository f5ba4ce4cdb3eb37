"""Built-in checks: database, cache, Redis, migrations and (``prodready[rq]``) RQ workers."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.cache import caches
from django.db import connections

from prodready.conf import get_conf
from prodready.health.base import Check, CheckFailed, Measurement, Observation
from prodready.health.database import PROBE_CONNECT_TIMEOUT, DatabaseCheck, suffixed

__all__ = [
    "CacheCheck",
    "DatabaseCheck",
    "MigrationsCheck",
    "RQWorkerCheck",
    "RedisCheck",
    "default_checks",
    "readiness_defaults",
]

CACHE_KEY_SECONDS = 10


@dataclass(eq=False)
class CacheCheck(Check):
    """Set a random key in cache ``alias``, read it back and delete it."""

    alias: str = "default"
    name: str = ""
    component_type: str = "datastore"

    def __post_init__(self) -> None:
        self.name = self.name or suffixed("cache", self.alias)
        self.component_id = self.alias

    def run(self) -> None:
        """Round-trip one random value through the cache (blocking)."""
        cache = caches[self.alias]
        key, value = f"prodready:health:{secrets.token_hex(8)}", secrets.token_hex(8)
        cache.set(key, value, timeout=CACHE_KEY_SECONDS)
        if cache.get(key) != value:
            raise CheckFailed(f"the cache '{self.alias}' did not return the value just set")
        cache.delete(key)


def _redis_client(url: str) -> Any:
    """Return a redis-py client that gives up within ``HEALTH_TIMEOUT``.

    One retry: after a Redis restart the first command on a pooled connection
    fails, and the retry on a new connection tells "restarted" from "down".
    """
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    timeout = get_conf().health_timeout
    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1)
    )


class _LazyClient:
    """A Redis client made on first use, from a URL given or ``REDIS_URL``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: Any = None

    def get(self, url: str | None) -> Any:
        with self._lock:
            if self._client is None:
                url = url or get_conf().redis_url
                if not url:
                    raise CheckFailed("no Redis URL: set REDIS_URL or pass url=")
                self._client = _redis_client(url)
            return self._client


@dataclass(eq=False)
class RedisCheck(Check):
    """Send ``PING`` to Redis at ``url`` (default ``REDIS_URL``)."""

    url: str | None = field(default=None, repr=False)
    name: str = "redis"
    component_type: str = "datastore"
    _client: _LazyClient = field(default_factory=_LazyClient, init=False, repr=False)

    def run(self) -> None:
        """Ping Redis (blocking)."""
        if not self._client.get(self.url).ping():
            raise CheckFailed("Redis did not answer PING")


def own_connection(alias: str) -> Any:
    """Return a Django connection to ``alias`` that never waits on its native pool.

    For PostgreSQL with ``OPTIONS["pool"]``, a new wrapper without the pool,
    connecting within ``PROBE_CONNECT_TIMEOUT``, under the alias
    ``prodready_health_<alias>``; otherwise Django's own.
    """
    from django.db.utils import load_backend

    wrapper: Any = connections[alias]
    if wrapper.vendor != "postgresql" or wrapper.pool is None:
        return wrapper
    settings_dict = {**wrapper.settings_dict, "CONN_MAX_AGE": 0}
    options = {k: v for k, v in settings_dict.get("OPTIONS", {}).items() if k != "pool"}
    settings_dict["OPTIONS"] = {**options, "connect_timeout": PROBE_CONNECT_TIMEOUT}
    backend = load_backend(settings_dict["ENGINE"])
    return backend.DatabaseWrapper(settings_dict, f"prodready_health_{alias}")


@dataclass(eq=False)
class MigrationsCheck(Check):
    """Fail while database ``alias`` lacks migrations that the code has.

    Once every migration is applied the check stops querying: the code of a
    running process cannot gain migrations.
    """

    alias: str = "default"
    name: str = ""
    _applied: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or suffixed("migrations", self.alias)
        self.component_id = self.alias

    def run(self) -> None:
        """Compare the migration files with the ``django_migrations`` table (blocking).

        On PostgreSQL with a native pool the check reads the table over a
        connection of its own, opened and closed here: requests may hold every
        pooled connection (right after start-up, under load), and readiness must
        not wait for one of them.
        """
        if self._applied:
            return
        from django.db.migrations.executor import MigrationExecutor

        wrapper = own_connection(self.alias)
        own = wrapper is not connections[self.alias]
        if own:
            # Django's MigrationRecorder queries through connections[alias]: the
            # wrapper is registered under an alias of its own, in this thread only.
            connections[wrapper.alias] = wrapper
        try:
            executor = MigrationExecutor(wrapper)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            if own:
                wrapper.close()
                del connections[wrapper.alias]
        if plan:
            first = plan[0][0]
            raise CheckFailed(
                f"{len(plan)} migration(s) not applied to '{self.alias}', the first being "
                f"{first.app_label}.{first.name}; run 'manage.py migrate'"
            )
        self._applied = True


@dataclass(eq=False)
class RQWorkerCheck(Check):
    """Count RQ workers on ``queue`` whose heartbeat is fresher than ``worker_ttl``.

    None is a warning (jobs wait, the web process still serves), which never
    fails readiness. Needs ``prodready[rq]``; reads only (no cleanup writes).

    Args:
        queue: The queue's name.
        url: Redis URL of the queue (default ``REDIS_URL``).
        worker_ttl: The workers' ``--worker-ttl`` in seconds (default RQ's, 420).
    """

    queue: str = "default"
    url: str | None = field(default=None, repr=False)
    worker_ttl: int | None = None
    name: str = ""
    _client: _LazyClient = field(default_factory=_LazyClient, init=False, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or suffixed("rq", self.queue)
        self.component_id = self.queue

    def run(self) -> Observation:
        """Read the workers' registrations and heartbeats (blocking)."""
        from rq import Queue, worker_registration
        from rq.defaults import DEFAULT_WORKER_TTL
        from rq.utils import utcparse

        client = self._client.get(self.url)
        keys = sorted(worker_registration.get_keys(Queue(self.queue, connection=client)))
        pipeline = client.pipeline(transaction=False)
        for key in keys:
            pipeline.hget(key, "last_heartbeat")
        beats = pipeline.execute() if keys else []
        ttl = self.worker_ttl or DEFAULT_WORKER_TTL
        now = datetime.now(UTC)
        fresh = sum(
            1 for beat in beats if beat and (now - utcparse(beat.decode())).total_seconds() <= ttl
        )
        observed = (Measurement("workers", fresh, "workers"),)
        if not fresh:
            return Observation(
                observed,
                warning=f"no worker with a heartbeat in the last {ttl} s listens on queue "
                f"'{self.queue}'",
            )
        return Observation(observed)


def default_checks() -> list[Check]:
    """Return the checks of ``health/``: every database and cache, Redis, migrations.

    Redis is checked when ``REDIS_URL`` is set; migrations on ``default`` only
    (other aliases may be routed to a subset of the apps).
    """
    checks: list[Check] = [DatabaseCheck(alias) for alias in connections.settings]
    checks += [CacheCheck(alias) for alias in caches.settings]
    if get_conf().redis_url:
        checks.append(RedisCheck())
    if "default" in connections.settings:
        checks.append(MigrationsCheck())
    return checks


def readiness_defaults(checks: list[Check]) -> list[Check]:
    """Return the checks of ``readiness/`` among ``checks``: databases and migrations.

    The very instances, so that a check serving both endpoints runs once at a time.
    """
    return [check for check in checks if isinstance(check, DatabaseCheck | MigrationsCheck)]
