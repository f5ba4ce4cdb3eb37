"""The app servers a load test starts: uvicorn (ASGI) and gunicorn (WSGI) serving the demo.

Each is a context manager that yields the server's base URL once it answers,
and stops the server (SIGTERM, so that workers drain and close their pools)
when the block ends, even when the body raises or the user presses Ctrl-C.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from prodready_loadtest.client import status
from prodready_loadtest.processes import (
    Served,
    ServerError,
    free_port,
    log_tail,
    start_server,
)

# What the servers log once a worker serves: uvicorn with and without lifespan, gunicorn.
STARTUP_COMPLETE = "Application startup complete."
SERVER_STARTED = "Started server process"
GUNICORN_WORKER_BOOTED = "Booting worker with pid"


def uvicorn_command(
    app: str,
    port: int,
    workers: int = 1,
    *,
    lifespan: Literal["on", "off", "auto"] = "on",
    options: Sequence[str] = (),
) -> list[str]:
    """Return the command line that serves ``app`` under uvicorn on 127.0.0.1:``port``."""
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--lifespan", lifespan, "--no-access-log", *options,
    ]  # fmt: skip


def start_uvicorn(
    app: str,
    env: Mapping[str, str],
    workers: int = 1,
    *,
    lifespan: Literal["on", "off", "auto"] = "on",
    options: Sequence[str] = (),
    log: Path | None = None,
    cwd: Path | None = None,
    group: bool = True,
) -> Served:
    """Start uvicorn serving ``app``; return at once (see :func:`uvicorn` to wait)."""
    port = free_port()
    command = uvicorn_command(app, port, workers, lifespan=lifespan, options=options)
    return start_server(command, env, port, log=log, cwd=cwd, group=group)


def wait_started(served: Served, workers: int, lifespan: str, timeout: float = 60) -> None:
    """Wait until every worker started serving (its ASGI start-up done) and the port listens."""
    # With lifespan off (or auto without lifespan support) no start-up is logged.
    mark = STARTUP_COMPLETE if lifespan == "on" else SERVER_STARTED
    served.wait_logged(mark, count=workers, timeout=timeout)
    served.wait_listening(timeout=timeout)


@contextlib.contextmanager
def uvicorn(
    app: str,
    env: Mapping[str, str],
    workers: int = 1,
    *,
    started: bool = True,
    graceful: bool = False,
    **launch: Any,
) -> Iterator[Served]:
    """Serve ``app`` under uvicorn; stop it (and its workers) when the block ends.

    Args:
        app: The ASGI application, ``module:attribute``.
        env: The server's whole environment.
        workers: uvicorn's ``--workers``.
        started: Wait until every worker serves; with False, only until the
            port accepts connections (the first burst after a start).
        graceful: Stop with SIGTERM (workers drain) rather than SIGKILL.
        **launch: :func:`start_uvicorn`'s options (``lifespan``, ``options``, ``cwd``).
    """
    served = start_uvicorn(app, env, workers, **launch)
    try:
        if started:
            wait_started(served, workers, launch.get("lifespan", "on"))
        else:
            served.wait_listening()
        yield served
    finally:
        served.stop(graceful=graceful)


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
    served = start_server(command, env, port, log=log)
    try:
        deadline = time.monotonic() + timeout
        while not started(served.text()) or status(served.url + ready_path) != 200:
            if served.process.poll() is not None:
                code = served.process.returncode
                raise ServerError(
                    f"{name} exited with status {code}; its log ends:\n{log_tail(log)}"
                )
            if time.monotonic() > deadline:
                raise ServerError(
                    f"{name} was not ready after {timeout:.0f} s; its log ends:\n{log_tail(log)}"
                )
            time.sleep(0.1)
        yield served.url
    finally:
        served.stop()


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
    options = ("--no-proxy-headers", "--timeout-graceful-shutdown", "10")
    command = uvicorn_command(app, port, workers, lifespan=lifespan, options=options)
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
