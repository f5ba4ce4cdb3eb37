"""A throwaway pgbouncer in transaction mode in front of the test PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from prodready_loadtest import processes
from prodready_loadtest.postgres import PgServer
from tests.servers import PG_HOST, PG_PORT, PG_USER, database_url

# More of pgbouncer's settings, on top of the load tests' configuration
# (prodready_loadtest.processes: transaction mode, trust, the given pool size).
_SETTINGS = """\
; Hand out the server connection idle the longest (FIFO) instead of the most
; recent one (LIFO): one client's consecutive transactions then land on
; different server connections whenever several exist, as they do under load.
server_round_robin = 1
; 'options' is deliberately not ignored: a client that sends it (how Django
; sets statement_timeout) is refused, as by a stock pgbouncer.
"""


def find_pgbouncer() -> str | None:
    """Return the pgbouncer binary (``PRODREADY_TEST_PGBOUNCER`` first), or None."""
    return os.environ.get("PRODREADY_TEST_PGBOUNCER") or processes.find_pgbouncer()


@dataclass(frozen=True, slots=True)
class Pgbouncer:
    """A running pgbouncer: where it listens and how to reach a database through it."""

    port: int
    pid: int
    directory: Path

    def url(self, dbname: str) -> str:
        """Return the DATABASE_URL of ``dbname`` through this pgbouncer."""
        return database_url(dbname, host="127.0.0.1", port=self.port)

    def open_server_connections(self, dbname: str, count: int) -> set[int]:
        """Make pgbouncer open ``count`` server connections to ``dbname``, left idle.

        ``count`` clients each hold a transaction open until all of them have one,
        which forces pgbouncer to give each its own server connection. Return the
        backend pids of those server connections.
        """
        barrier = threading.Barrier(count, timeout=10)
        pids: list[int] = []
        errors: list[BaseException] = []

        def hold_one() -> None:
            try:
                with psycopg.connect(
                    host="127.0.0.1", port=self.port, user=PG_USER, dbname=dbname
                ) as conn:
                    row = conn.execute("SELECT pg_backend_pid()").fetchone()
                    assert row is not None
                    pids.append(int(row[0]))
                    barrier.wait()
                    conn.commit()
            except BaseException as err:
                barrier.abort()
                errors.append(err)

        threads = [threading.Thread(target=hold_one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return set(pids)


@contextlib.contextmanager
def running_pgbouncer(binary: str, pool_size: int = 4) -> Iterator[Pgbouncer]:
    """Run pgbouncer in transaction mode on a free port; stop it and remove its files after.

    It forwards every database name to the test PostgreSQL with trust
    authentication, and is stopped even when the body raises.
    """
    directory = Path(tempfile.mkdtemp(prefix="prodready-pgbouncer-"))
    server = PgServer(host=PG_HOST, port=PG_PORT, user=PG_USER)
    try:
        with processes.pgbouncer_in(
            directory, server, pool_size, binary=binary, settings=_SETTINGS
        ) as process:
            yield Pgbouncer(port=process.port, pid=process.pid, directory=directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
