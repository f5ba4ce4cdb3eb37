"""Client-side deadlines on database calls: a hung link ends the request, not the worker.

``DB_STATEMENT_TIMEOUT`` is enforced by PostgreSQL. When the link itself hangs
(packets dropped, a proxy or pgbouncer that stops forwarding), the server
never hears of the statement or its answer never arrives, and psycopg waits
for it with no bound: each request that touches the database holds its worker
thread for good, and the pool's connection check does the same for the
requests that wait for a connection.

Here every query Django runs on PostgreSQL (an execute wrapper installed on
each connection) carries a deadline of ``DB_STATEMENT_TIMEOUT +
DB_CONNECT_TIMEOUT`` seconds (when ``DB_STATEMENT_TIMEOUT`` is set: the server
has had its chance to cancel the statement by then), and every connection
check of the native pool one of ``DB_CONNECT_TIMEOUT``. One watchdog thread
per process shuts down the socket of a call that is past its deadline: the
call fails at once with psycopg's ``OperationalError`` (the request gets
Django's 500, or the view's own handling), and the connection, now broken, is
discarded by the pool. New connections are bounded by ``connect_timeout``
(``DB_CONNECT_TIMEOUT``) and the wait for a pooled one by ``DB_POOL_TIMEOUT``.

In pgbouncer mode the statement timeout is not sent to the server
(transaction pooling drops session settings); this deadline is then the only
bound, and the server keeps running the statement: set ``statement_timeout``
on the database role to stop it there too.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger("prodready.deadlines")

#: How often the watchdog looks for calls past their deadline (seconds).
POLL_SECONDS = 0.1


class Watchdog:
    """Shut down the socket of any registered call that outlives its deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[int, tuple[float, int, str]] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def start(self, fileno: int, seconds: float, what: str) -> int:
        """Register a call on socket ``fileno`` that may last ``seconds``; return its token."""
        token = next(self._tokens)
        with self._lock:
            self._calls[token] = (time.monotonic() + seconds, fileno, what)
            if self._thread is None or self._pid != os.getpid():  # none yet, or forked
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._watch, name="prodready-deadlines", daemon=True
                )
                self._thread.start()
        return token

    def end(self, token: int) -> None:
        """The call of ``token`` returned (or failed) in time, or was cut: forget it."""
        with self._lock:
            self._calls.pop(token, None)

    def _watch(self) -> None:
        while True:
            time.sleep(POLL_SECONDS)
            now = time.monotonic()
            with self._lock:
                late = [token for token, (deadline, _, _) in self._calls.items() if deadline <= now]
                expired = [self._calls.pop(token) for token in late]
            for _, fileno, what in expired:
                _cut(fileno, what)


def _cut(fileno: int, what: str) -> None:
    try:
        # A duplicate of the descriptor: closing it leaves psycopg's own open,
        # while shutdown() ends the connection under both.
        with socket.socket(fileno=os.dup(fileno)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        return  # the connection closed on its own meanwhile
    logger.warning(
        "The database did not answer %s within its deadline; its connection was closed "
        "(the link to the database may be hung).",
        what,
    )


watchdog = Watchdog()


def query_wrapper(seconds: float) -> Callable[..., Any]:
    """Return a Django execute wrapper that gives each query ``seconds`` to answer."""

    def with_deadline(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        raw = context["connection"].connection
        token = watchdog.start(raw.pgconn.socket, seconds, "a query")
        try:
            return execute(sql, params, many, context)
        finally:
            watchdog.end(token)

    with_deadline.prodready_deadline = True  # type: ignore[attr-defined]
    return with_deadline


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: give the connection's queries their deadline."""
    if connection.vendor != "postgresql":
        return
    from prodready.conf import get_conf

    seconds = get_conf().db_deadline
    if seconds is None:
        return
    if not any(getattr(w, "prodready_deadline", False) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(query_wrapper(seconds))


@functools.cache
def _check_deadline() -> float:
    from prodready.conf import get_conf

    return get_conf().db_check_deadline


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: Any) -> None:
    if setting == "PRODREADY":
        _check_deadline.cache_clear()


def check_connection(conn: Any) -> None:
    """The native pool's connection check (psycopg's), with a deadline of ``DB_CONNECT_TIMEOUT``."""
    from psycopg_pool import ConnectionPool

    token = watchdog.start(conn.pgconn.socket, _check_deadline(), "a connection check")
    try:
        ConnectionPool.check_connection(conn)
    finally:
        watchdog.end(token)
