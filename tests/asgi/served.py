"""Serve the test project under real uvicorn with lifespan on; stop it as Kubernetes does.

Unlike ``tests.servers.uvicorn_server`` (lifespan off, stopped in ``finally``),
the test decides here when SIGTERM is sent and looks at how the process ends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import REPO, admin_conn, base_env, free_port, uvicorn_command

APP = "tests.asgi.project.asgi:application"
SETTINGS = "tests.asgi.project.settings"
STARTED = "Application startup complete."
# Logged once the socket listens: with one worker, uvicorn binds it after the start-up.
LISTENING = "Uvicorn running on"
STOPPED = "Application shutdown complete."
# What uvicorn and Django log when an application does not speak lifespan.
LIFESPAN_ERRORS = (
    "Django can only handle ASGI/HTTP connections",
    "Exception in 'lifespan' protocol",
    "ASGI 'lifespan' protocol appears unsupported",
    "Application startup failed",
    "Application shutdown failed",
)


def project_env(database_url: str, **overrides: str) -> dict[str, str]:
    """Return the environment of the served project on ``database_url``, plus ``overrides``."""
    return base_env(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database_url,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DB_POOL_MODE="native",
        **overrides,
    )


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names) and JSON body."""

    status: int
    headers: dict[str, str]
    json: dict[str, Any]
    body: bytes = b""


@contextlib.contextmanager
def connection(base_url: str, timeout: float = 30) -> Iterator[http.client.HTTPConnection]:
    """Open a new connection to the server, for a test that reads or hangs up as it likes."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """Send one request on a new connection; raise OSError when nothing accepts it."""
    with connection(base_url, timeout) as conn:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        content = response.read()
        received = {name.lower(): value for name, value in response.getheaders()}
    is_json = received.get("content-type", "").startswith("application/json")
    return Answer(response.status, received, json.loads(content) if is_json else {}, content)


def get(base_url: str, path: str, timeout: float = 30) -> Answer:
    """GET ``path`` on a new connection; raise OSError when nothing accepts it."""
    return request(base_url, "GET", path, timeout=timeout)


class Served:
    """A uvicorn process serving the test project; its parent pid, URL and log."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def text(self) -> str:
        """Return everything the server logged so far."""
        return self.log.read_text(errors="replace")

    def wait_logged(self, line: str, count: int = 1, timeout: float = 30) -> None:
        """Wait until ``line`` was logged ``count`` times; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        while self.text().count(line) < count:
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited ({self.process.returncode}):\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{line!r} not logged {count}× in {timeout} s:\n{self.text()}")
            time.sleep(0.05)

    def sigterm(self) -> None:
        """Send SIGTERM to the server's main process, as Kubernetes does."""
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        """Wait for the server to exit; return its status."""
        return self.process.wait(timeout=timeout)


def sleeping_queries(dbname: str) -> int:
    """Count the queries of ``dbname`` running ``pg_sleep`` right now, on the server."""
    with admin_conn() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
            "AND query LIKE '%%pg_sleep%%' AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchone()
    assert row is not None
    return int(str(row[0]))


def assert_clean(log: str) -> None:
    """The log has no lifespan error, no traceback and no error line."""
    for text in LIFESPAN_ERRORS:
        assert text not in log
    assert "Traceback" not in log
    assert "ERROR" not in log
    # uvicorn cancels what outlives --timeout-graceful-shutdown, with this message.
    assert "timeout graceful shutdown exceeded" not in log


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll ``predicate`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not so after {timeout} s")
        time.sleep(0.02)


def start(
    env: Mapping[str, str], workers: int = 1, graceful: float = 20, extra: tuple[str, ...] = ()
) -> Served:
    """Start uvicorn on the test project with lifespan on; return without waiting.

    ``extra`` are more uvicorn options, e.g. ``("--root-path", "/prefix")``.
    """
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"prodready-asgi-{uuid.uuid4().hex[:8]}.log"
    command = uvicorn_command(
        APP,
        port,
        workers,
        lifespan="on",
        extra=("--timeout-graceful-shutdown", str(graceful), *extra),
    )
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, workers included
        )
    return Served(process, f"http://127.0.0.1:{port}", log)


def stop(served: Served) -> None:
    """Kill what is left of the server's process group; remove its log."""
    # Killing the parent alone would leave its workers serving.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(served.process.pid, signal.SIGKILL)
    served.process.wait(timeout=10)
    served.log.unlink(missing_ok=True)


@contextlib.contextmanager
def uvicorn(
    env: Mapping[str, str], workers: int = 1, graceful: float = 20, extra: tuple[str, ...] = ()
) -> Iterator[Served]:
    """Serve the test project; yield once every worker completed its start-up and it listens."""
    served = start(env, workers, graceful, extra)
    try:
        served.wait_logged(STARTED, count=workers)
        served.wait_logged(LISTENING)
        yield served
    finally:
        stop(served)
