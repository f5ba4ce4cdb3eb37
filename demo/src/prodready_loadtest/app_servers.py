"""The app servers a load test starts: uvicorn (ASGI) and gunicorn (WSGI) serving the demo.

Each is a context manager that yields the server's base URL once it answers,
and stops the server (SIGTERM, so that workers drain and close their pools)
when the block ends, even when the body raises or the user presses Ctrl-C.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Literal

from prodready_loadtest.processes import ServerError, free_port, log_tail, stop_process

# What the servers log once a worker serves: uvicorn with and without lifespan, gunicorn.
STARTUP_COMPLETE = "Application startup complete."
SERVER_STARTED = "Started server process"
GUNICORN_WORKER_BOOTED = "Booting worker with pid"


def _get_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1 only)
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)
    except OSError:
        return None


@contextlib.contextmanager
def _serving(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    log: Path,
    port: int,
    started: Callable[[str], bool],
    ready_path: str,
    timeout: float,
) -> Iterator[str]:
    """Run ``command`` (a server listening on ``port``); yield its base URL once ready.

    Ready means: ``started`` accepts the server's log so far, and
    ``ready_path`` answers 200. The server gets SIGTERM at the end, so that
    each worker drains and closes its pools.
    """
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=dict(env), stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + timeout
        while not started(log_tail(log, 1_000_000)) or _get_status(base + ready_path) != 200:
            if process.poll() is not None:
                status = process.returncode
                raise ServerError(
                    f"{name} exited with status {status}; its log ends:\n{log_tail(log)}"
                )
            if time.monotonic() > deadline:
                raise ServerError(
                    f"{name} was not ready after {timeout:.0f} s; its log ends:\n{log_tail(log)}"
                )
            time.sleep(0.1)
        yield base
    finally:
        stop_process(process)


def running_uvicorn(
    env: Mapping[str, str],
    workers: int,
    log: Path,
    app: str = "demo.asgi:application",
    ready_path: str = "/api/liveness/",
    timeout: float = 60,
    lifespan: Literal["on", "off"] = "on",
) -> contextlib.AbstractContextManager[str]:
    """Serve ``app`` under uvicorn with ``workers`` processes; the block gets its base URL.

    Ready means: every worker logged the end of its ASGI start-up (with
    ``lifespan="off"``, that it imported the app and started serving), and
    ``ready_path`` answers 200 (a path no rate limit counts). uvicorn gets
    SIGTERM at the end, so that each worker drains and closes its pools.
    """
    port = free_port()
    mark = STARTUP_COMPLETE if lifespan == "on" else SERVER_STARTED
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--lifespan",
        lifespan,
        "--no-access-log",
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        "10",
    ]
    return _serving(
        "uvicorn",
        command,
        env,
        log,
        port,
        lambda text: text.count(mark) >= workers,
        ready_path,
        timeout,
    )


def running_gunicorn(
    env: Mapping[str, str],
    workers: int,
    threads: int,
    log: Path,
    app: str = "demo.wsgi:application",
    ready_path: str = "/api/liveness/",
    timeout: float = 60,
) -> contextlib.AbstractContextManager[str]:
    """Serve the WSGI ``app`` under gunicorn's gthread worker; the block gets its base URL.

    ``workers`` processes of ``threads`` threads each, no access log. Ready
    means: every worker booted and ``ready_path`` answers 200. gunicorn gets
    SIGTERM at the end (a graceful stop).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--graceful-timeout",
        "10",
        # Its control socket would go under ~/.gunicorn, shared by every gunicorn of the user.
        "--no-control-socket",
    ]
    return _serving(
        "gunicorn",
        command,
        env,
        log,
        port,
        lambda text: text.count(GUNICORN_WORKER_BOOTED) >= workers,
        ready_path,
        timeout,
    )
