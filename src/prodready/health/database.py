"""The database check: ``SELECT 1`` per alias, through the native pool when there is one."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db import connections

from prodready.conf import get_conf
from prodready.health.base import Check, Measurement, Observation

# psycopg waits at least 2 s for a connection, whatever connect_timeout says.
# The check's deadline is enforced by the runner; this only bounds how long a
# hung connection attempt keeps the check's thread (and the check's next
# probes wait for that attempt rather than open another).
PROBE_CONNECT_TIMEOUT = 2


def suffixed(base: str, alias: str) -> str:
    """Return ``base`` for the ``default`` alias, ``base_<alias>`` for the others."""
    return base if alias == "default" else f"{base}_{alias}"


@dataclass(eq=False)
class DatabaseCheck(Check):
    """Run ``SELECT 1`` on database ``alias``.

    On PostgreSQL with a native pool (``DB_POOL_MODE=native``) the query runs on
    a pooled connection, taken with a wait of half of ``HEALTH_TIMEOUT`` and
    always given back; the pool checks connections before handing them out,
    so sessions killed on the server do not count as failures. The pool's
    size, available connections and waiting requests are reported, and a pool
    with ``warn_usage`` of its maximum in use is ``warn``. When the pool gives
    no connection within the wait, the check asks the server over a
    connection of its own: a database that does not answer fails the check.
    One that answers is ``ok`` if the pool only held connections the server
    had ended (they are replaced at once), else ``warn``: every connection
    is in use, or the pool is reconnecting after an outage.

    On PostgreSQL without a pool, the check opens a connection of its own and
    closes it. Other databases go through Django's connection in the check's
    thread, closed afterwards.

    Args:
        alias: The ``DATABASES`` alias.
        warn_usage: Share of the pool's maximum in use from which to warn.
    """

    alias: str = "default"
    name: str = ""
    warn_usage: float = 0.9
    component_type: str = "datastore"

    def __post_init__(self) -> None:
        self.name = self.name or suffixed("database", self.alias)
        self.component_id = self.alias

    def run(self) -> Observation | None:
        """Query the database once (blocking; the runner gives it a thread)."""
        wrapper: Any = connections[self.alias]
        if wrapper.vendor != "postgresql":
            try:
                with wrapper.cursor() as cursor:
                    cursor.execute("SELECT 1")
            finally:
                wrapper.close()
            return None
        if wrapper.pool is None:
            _direct_select(wrapper.get_connection_params())
            return None
        return self._pooled(wrapper.pool, wrapper.get_connection_params())

    def _pooled(self, pool: Any, params: dict[str, Any]) -> Observation:
        import psycopg
        from psycopg_pool import PoolTimeout

        pool.open()  # as Django does before its first getconn(); a no-op once open
        # Taken before asking: a client that gave up waiting stays counted in
        # requests_waiting until a connection comes back, the check included.
        stats = pool.get_stats()
        size, available = stats.get("pool_size", 0), stats.get("pool_available", 0)
        waiting, maximum = stats.get("requests_waiting", 0), stats.get("pool_max", pool.max_size)
        wait = get_conf().health_timeout / 2
        warning = None
        for attempt in (1, 2):
            try:
                with pool.connection(timeout=wait) as conn:
                    conn.execute("SELECT 1")
                break
            except PoolTimeout:
                # No connection within the wait. Ask the server directly: if it
                # does not answer either, that is the failure to report.
                _direct_select(params)
                if not _purged_broken_connections(pool, stats.get("connections_lost", 0)):
                    # Every connection is in use, or the pool is reconnecting
                    # (after an outage it retries with a growing delay).
                    warning = "the database answers but the pool has no connection ready yet"
                break
            except psycopg.OperationalError:
                # A connection that broke after the pool checked it (the pool
                # discards it on return): one more try on another.
                if attempt == 2:
                    raise
        in_use = size - available
        if warning is not None and (waiting or in_use >= maximum):
            warning = (
                f"the pool is exhausted: {in_use} of {maximum} connections in use, "
                f"{waiting} request(s) waiting"
            )
        elif warning is None and in_use >= math.ceil(self.warn_usage * maximum):
            warning = f"the pool is nearly exhausted: {in_use} of {maximum} connections in use"
        measurements = (
            Measurement("poolSize", size, "connections"),
            Measurement("poolAvailable", available, "connections"),
            Measurement("requestsWaiting", waiting, "requests"),
            Measurement("poolMax", maximum, "connections"),
        )
        return Observation(measurements, warning=warning)


def _purged_broken_connections(pool: Any, lost_before: int) -> bool:
    """Test the pool's idle connections, replacing the broken ones; tell whether there were any.

    ``lost_before`` is the pool's count of broken connections before the
    check asked for one: those found by that attempt count too.

    After the server ended every session (``pg_terminate_backend``, a
    failover), each idle connection is broken, and psycopg's pool waits one,
    then two, then four seconds... between the broken connections it finds
    while handing one out: the check's wait ran out on that, not on the
    database. ``check()`` tests them all at once and reconnects without those
    waits, for the requests to come as well. It runs only on this path, never
    on a probe that got a connection.
    """
    pool.check()
    return bool(pool.get_stats().get("connections_lost", 0) > lost_before)


def _direct_select(params: dict[str, Any]) -> None:
    """Open a connection with Django's parameters, run ``SELECT 1``, close it."""
    import psycopg

    params = {**params, "connect_timeout": PROBE_CONNECT_TIMEOUT, "autocommit": True}
    with psycopg.connect(**params) as conn:
        conn.execute("SELECT 1")
