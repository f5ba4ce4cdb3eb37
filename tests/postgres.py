"""The tests' one throwaway PostgreSQL: a cluster of their own to stop, hang, restart and read.

The shared test server must stay up for every other test, so fault tests run
their own: ``initdb`` into a temporary directory (about a second, durability
off), then ``pg_ctl`` on a free port, listening on 127.0.0.1 and any further
loopback addresses asked for, trust authentication for the loopback network.
With ``log_statements`` the server logs every statement, for tests that count
what it received. PostgreSQL refuses to run as root; when the tests do, it
runs as ``PRODREADY_TEST_PG_OS_USER`` (default ``postgres``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg

from tests.servers import PG_USER, database_url, free_port

RUN_AS = os.environ.get("PRODREADY_TEST_PG_OS_USER", "postgres")


def find_bindir() -> Path | None:
    """Return the directory of ``initdb`` and ``pg_ctl``, or None when not installed.

    ``PRODREADY_TEST_PGBIN``, else ``pg_ctl`` on PATH, else ``pg_config --bindir``,
    else Debian's ``/usr/lib/postgresql/*/bin``.
    """
    given = os.environ.get("PRODREADY_TEST_PGBIN")
    if given:
        return Path(given)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(found) / "pg_ctl").exists():
            return Path(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


class ThrowawayPostgres:
    """One cluster in a temporary directory, initialised but not started.

    Args:
        bindir: Where ``initdb`` and ``pg_ctl`` are (:func:`find_bindir`).
        addresses: Loopback addresses to listen on besides 127.0.0.1.
        log_statements: Log every statement (``log_statement=all``).
    """

    def __init__(
        self, bindir: Path, *, addresses: Sequence[str] = (), log_statements: bool = False
    ) -> None:
        self.bindir = bindir
        self.addresses = ("127.0.0.1", *addresses)
        self.log_statements = log_statements
        self.directory = Path(tempfile.mkdtemp(prefix="prodready-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.directory, user=RUN_AS)
        self._run(
            "initdb", "-D", str(self.data), "-U", PG_USER, "-A", "trust", "--no-sync", "-E", "UTF8"
        )
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write("host all all 127.0.0.0/8 trust\n")

    def url(self, dbname: str = "postgres") -> str:
        """Return the DATABASE_URL of ``dbname`` on this cluster (whether it runs or not)."""
        return database_url(dbname, host="127.0.0.1", port=self.port)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr[-2000:]}")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses='{','.join(self.addresses)}' "
            f"-c unix_socket_directories='{self.directory}' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off "
            "-c log_line_prefix='%m [%p] db=%d '"
            + (" -c log_statement=all" if self.log_statements else "")
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-w", "-t", "30", "-l", str(self.log), "-o", options,
            *extra, action,
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("start")

    def restart(self) -> None:
        """Restart the server: ``-m fast`` ends every session at once, as an upgrade does."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (``fast`` disconnects every client)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop the server and delete the cluster."""
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """Open an autocommit superuser connection."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname=dbname, autocommit=True
        )

    def log_size(self) -> int:
        """Return the size of the server's log now, to read what comes after."""
        return self.log.stat().st_size

    def statements(self, dbname: str, since: int = 0) -> list[str]:
        """Return the statements on ``dbname`` logged after offset ``since``."""
        time.sleep(0.3)  # the server writes its log asynchronously to us
        with self.log.open("rb") as log:
            log.seek(since)
            lines = log.read().decode("utf-8", "replace").splitlines()
        marker = f" db={dbname} LOG:  statement: "
        return [line.split(marker, 1)[1] for line in lines if marker in line]

    def terminate_all(self, dbname: str) -> int:
        """Terminate every session on ``dbname``; return how many there were."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            ).fetchall()
        return len(rows)

    def backends(self, dbname: str) -> list[int]:
        """Return the pids of client sessions on ``dbname``."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'",
                (dbname,),
            ).fetchall()
        return [int(str(row[0])) for row in rows]
