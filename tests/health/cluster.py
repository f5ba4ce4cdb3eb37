"""A throwaway PostgreSQL cluster that tests can stop, restart and read the statement log of."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.servers import free_port

BINDIR = Path(
    subprocess.run(
        ["pg_config", "--bindir"], capture_output=True, text=True, check=True
    ).stdout.strip()
)


def _as_postgres(*command: str) -> None:
    """Run ``command`` as the postgres OS user (PostgreSQL refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)


class PostgresCluster:
    """initdb'd into a temporary directory, listening on 127.0.0.1 and 127.7.7.7 on a free port.

    Trust authentication for the whole loopback network, ``log_statement=all``
    so that tests can count the statements the server received.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="prodready-health-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        _as_postgres(
            str(BINDIR / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write("host all all 127.0.0.0/8 trust\n")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses='127.0.0.1,127.7.7.7' "
            f"-c unix_socket_directories='{self.base}' -c log_statement=all -c fsync=off "
            "-c log_line_prefix='%m [%p] db=%d ' "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        _as_postgres(
            str(BINDIR / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` disconnects every client)."""
        _as_postgres(str(BINDIR / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """Open an autocommit superuser connection."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    def log_size(self) -> int:
        """Return the size of the statement log now, to count what comes after."""
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
