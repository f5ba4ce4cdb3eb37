"""Helpers that give tests their own databases, ports and processes on real servers."""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg

from prodready_loadtest.processes import free_port

REPO = Path(__file__).resolve().parent.parent
#: The demo's ASGI application, as the README serves it.
DEMO_APP = "demo.asgi:application"
# The demo's state directory (its own SQLite) for this test session, not the user's.
STATE_HOME = tempfile.mkdtemp(prefix="prodready-test-state-")
PG_HOST = os.environ.get("PRODREADY_TEST_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("PRODREADY_TEST_PGPORT", "5432"))
PG_USER = os.environ.get("PRODREADY_TEST_PGUSER", "postgres")
REDIS_HOST = "127.0.0.1"
REDIS_PORT = int(os.environ.get("PRODREADY_TEST_REDIS_PORT", "6379"))


def admin_conn(dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
    """Open an autocommit superuser connection to the shared test PostgreSQL."""
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True)


@contextlib.contextmanager
def temporary_database(prefix: str = "prodready_test") -> Iterator[str]:
    """Create a database of the test's own, yield its name, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin_conn() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(name: str, host: str = PG_HOST, port: int = PG_PORT) -> str:
    """Return the DATABASE_URL of database ``name``."""
    return f"postgres://{PG_USER}@{host}:{port}/{name}"


def backend_pids(dbname: str) -> set[int]:
    """Return the pids of client backends connected to ``dbname``, counted on the server."""
    with admin_conn() as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchall()
    return {int(str(row[0])) for row in rows}


class BackendPeak:
    """Sample ``dbname``'s client backends every 5 ms in a thread, while the block runs.

    ``with BackendPeak(name) as peak: ...`` then ``peak.value`` is the most seen at once.
    """

    def __init__(self, dbname: str) -> None:
        self.dbname = dbname
        self.value = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="backend-peak", daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.value = max(self.value, len(backend_pids(self.dbname)))
            time.sleep(0.005)

    def __enter__(self) -> BackendPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def base_env(**overrides: str) -> dict[str, str]:
    """Return an environment for a child process that ignores the developer's own.

    The child reads no ``.env`` or ``config_profiles/`` (its base directory is
    an empty folder), and no secrets directory; the demo keeps its SQLite file
    in this session's own state directory.
    """
    empty = REPO / "tests" / "no-config-here"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "DATABASE_", "REDIS_", "RATELIMIT_", "HEALTH_", "APP_"))
    }
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "PRODREADY_BASE_DIR": str(empty),
            "PRODREADY_SECRETS_DIR": str(empty),
            "APP_PROFILE": "dev",
            "XDG_STATE_HOME": STATE_HOME,
        }
    )
    env.update(overrides)
    return env


def run_command(
    command: list[str], env: Mapping[str, str], cwd: Path = REPO, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end; return its status and its output as text (never raises)."""
    return subprocess.run(
        command,
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def prodready_process(
    *args: str, env: Mapping[str, str], cwd: Path = REPO, output: bool = False
) -> subprocess.Popen[str]:
    """Start ``prodready ARGS`` (``python -m prodready.cli``) in a session of its own.

    With ``output``, its stdout and stderr together are piped (read them with
    ``communicate()``); else they are dropped.
    """
    sink = subprocess.PIPE if output else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "prodready.cli", *args],
        env=dict(env),
        cwd=cwd,
        stdout=sink,
        stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def run_python(code: str, env: Mapping[str, str], timeout: float = 60) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object, returned here."""
    result = run_command([sys.executable, "-c", code], env, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"child failed ({result.returncode}):\n{result.stderr[-3000:]}")
    parsed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 20) -> None:
    """Wait until something accepts TCP connections on ``host:port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s")


def free_cluster_port() -> int:
    """Return a free port P below 55536 whose cluster bus port P + 10000 is free too."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 45_000)
        try:
            for candidate in (port, port + 10_000):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise AssertionError("no free port pair for a cluster node")


class RedisServer:
    """A throwaway redis-server on a free port that a test can stop, hang and restart."""

    def __init__(self, *extra: str) -> None:
        self.port = free_cluster_port() if "--cluster-enabled" in extra else free_port()
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on its port and wait until it answers."""
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop the server and wait until it is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def unique_prefix(name: str = "t") -> str:
    """Return a key prefix no other test or run uses."""
    return f"{name}-{uuid.uuid4().hex[:10]}"
