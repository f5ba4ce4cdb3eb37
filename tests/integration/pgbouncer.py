"""A throwaway pgbouncer in transaction mode in front of the test PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.servers import PG_HOST, PG_PORT, PG_USER, database_url, free_port

# pgbouncer refuses to run as root; when the tests do, it drops to this user.
RUN_AS = os.environ.get("PRODREADY_TEST_PGBOUNCER_USER", "postgres")

_INI = """\
[databases]
* = host={pg_host} port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 100
; Hand out the server connection idle the longest (FIFO) instead of the most
; recent one (LIFO): one client's consecutive transactions then land on
; different server connections whenever several exist, as they do under load.
server_round_robin = 1
; 'options' is deliberately not ignored: a client that sends it (how Django
; sets statement_timeout) is refused, as by a stock pgbouncer.
ignore_startup_parameters = extra_float_digits
"""


def find_pgbouncer() -> str | None:
    """Return the path of the pgbouncer binary, or None when it is not installed."""
    return (
        os.environ.get("PRODREADY_TEST_PGBOUNCER")
        or shutil.which("pgbouncer")
        or shutil.which("pgbouncer", path="/usr/sbin:/usr/local/sbin")
    )


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


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"pgbouncer exited with status {process.returncode}:\n{log.read_text()[-2000:]}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.02)
    raise RuntimeError(f"pgbouncer does not listen on port {port} after 10 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGTERM is pgbouncer's immediate shutdown: clients and servers are dropped.
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def running_pgbouncer(binary: str, pool_size: int = 4) -> Iterator[Pgbouncer]:
    """Run pgbouncer in transaction mode on a free port; stop it and remove its files after.

    It forwards every database name to the test PostgreSQL with trust
    authentication, and is stopped even when the body raises.
    """
    directory = Path(tempfile.mkdtemp(prefix="prodready-pgbouncer-"))
    try:
        port = free_port()
        (directory / "userlist.txt").write_text(f'"{PG_USER}" ""\n')
        ini = directory / "pgbouncer.ini"
        ini.write_text(
            _INI.format(
                pg_host=PG_HOST,
                pg_port=PG_PORT,
                port=port,
                directory=directory,
                pool_size=pool_size,
            )
        )
        # Readable by the unprivileged user pgbouncer switches to; nothing here is secret.
        for path in (directory, directory / "userlist.txt", ini):
            path.chmod(0o755 if path.is_dir() else 0o644)
        command = [binary, str(ini)]
        if os.geteuid() == 0:
            command[1:1] = ["-u", RUN_AS]
        log = directory / "pgbouncer.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
            )
        try:
            _wait_until_listening(process, port, log)
            yield Pgbouncer(port=port, pid=process.pid, directory=directory)
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
