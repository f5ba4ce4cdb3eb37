"""Open, close and fork-proof Django's native psycopg pools (``OPTIONS["pool"]``).

Django creates one ``psycopg_pool.ConnectionPool`` per database alias, lazily
and shared by every thread of the process, and opens it on the first query.
The ASGI lifespan opens it at start-up instead, without waiting, so that a
worker whose database is down still starts (and reports not-ready), and
closes it at shutdown, so that no session outlives the process.

A pool belongs to the process that opened it: its worker threads do not
survive ``fork()`` and its sockets would then be shared by two processes.
uvicorn starts its workers with ``spawn`` (fresh interpreters), but a server
that forks after importing the application (gunicorn ``--preload``, a
multiprocessing ``fork`` pool) hands the child the parent's pools and
connections; :func:`forget_inherited_connections` runs in every forked child
and drops them without closing them, which would end the parent's sessions.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

logger = logging.getLogger("prodready.pools")

# What a forked child inherited and must never touch (nor let the garbage
# collector finalise: a pool's finaliser signals worker threads that exist only
# in the parent). Kept for the life of the child; one entry per fork at most.
_INHERITED: list[object] = []


def _pool_of(connection: Any) -> Any:
    """Return the native pool of a Django connection, or None (not PostgreSQL, no pool)."""
    return getattr(connection, "pool", None)


def open_pools() -> list[str]:
    """Open every configured native pool without waiting for its connections.

    The pools fill in the background; while the database is down they keep
    retrying with backoff, and requests wait at most ``DB_POOL_TIMEOUT``.

    Returns:
        The aliases whose pools were opened.
    """
    from django.db import connections

    opened = []
    for alias in connections:
        pool = _pool_of(connections[alias])
        if pool is not None:
            pool.open(wait=False)
            opened.append(alias)
    return opened


def close_pools(timeout: float = 5.0) -> list[str]:
    """Close every native pool of this process; log and skip any that fails.

    Connections still lent to a request are closed when it gives them back;
    the log says how many there were.

    Args:
        timeout: Seconds to wait for each pool's worker threads to stop.

    Returns:
        The aliases whose pools were closed.
    """
    from django.db import connections

    closed = []
    for alias in connections:
        try:
            connection: Any = connections[alias]
            pool = _pool_of(connection)
            if pool is None:
                continue
            _log_closing(alias, pool.get_stats())
            pool.close(timeout=timeout)
            # Django's close_pool() would close with psycopg's default timeout;
            # after close() it only removes the closed pool from its registry.
            connection.close_pool()
        except Exception:
            logger.exception("Closing the connection pool of database '%s' failed.", alias)
        else:
            closed.append(alias)
    return closed


def _log_closing(alias: str, stats: dict[str, int]) -> None:
    size = stats.get("pool_size", 0)
    lent = size - stats.get("pool_available", 0)
    level = logging.WARNING if lent else logging.INFO
    logger.log(
        level,
        "Closing the connection pool of database '%s': %d connection(s), %d lent to requests.",
        alias,
        size,
        lent,
    )


def forget_inherited_connections() -> None:
    """Drop the pools and connections a forked child inherited, without closing them.

    Closing them would send a termination message on sockets the parent still
    uses. The child opens pools and connections of its own when it needs them.
    """
    if "django.db" not in sys.modules:
        return  # nothing of Django's was created before the fork
    from django.conf import settings

    if not settings.configured:
        return
    from django.db import connections

    # Connections of the forking thread (the only thread a child keeps).
    for connection in connections.all(initialized_only=True):
        _INHERITED.append(connection)
        del connections[connection.alias]
    # Django keeps pools in a class-level registry with no public way to
    # forget a pool without closing it: the private dict is the only handle.
    postgresql = sys.modules.get("django.db.backends.postgresql.base")
    registry: dict[str, Any] | None = getattr(
        getattr(postgresql, "DatabaseWrapper", None), "_connection_pools", None
    )
    if registry:
        _INHERITED.append(dict(registry))
        registry.clear()


os.register_at_fork(after_in_child=forget_inherited_connections)
