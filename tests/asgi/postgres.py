"""A throwaway PostgreSQL cluster that a test may start late, restart and stop.

The shared test server must stay up for every other test, so fault tests run
their own: ``initdb`` once per session (about a second, durability off), then
``pg_ctl`` on a free port. PostgreSQL refuses to run as root; when the tests
do, it runs as ``PRODREADY_TEST_PG_OS_USER`` (default ``postgres``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import PG_USER, database_url, free_port

RUN_AS = os.environ.get("PRODREADY_TEST_PG_OS_USER", "postgres")


def find_bindir() -> Path | None:
    """Return the directory of ``initdb`` and ``pg_ctl``, or None when not installed."""
    given = os.environ.get("PRODREADY_TEST_PGBIN")
    if given:
        return Path(given)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


class ThrowawayPostgres:
    """One cluster in a temporary directory; ``start``, ``restart`` and ``stop`` it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.directory = Path(tempfile.mkdtemp(prefix="prodready-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.directory, user=RUN_AS)
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "-A", "trust", "--no-sync")

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
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.directory / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", log, "-o", options, *extra, action)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("start")

    def restart(self) -> None:
        """Restart the server: ``-m fast`` ends every session at once, as an upgrade does."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """Stop the server if it runs; ends every session at once."""
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "fast")

    def remove(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
