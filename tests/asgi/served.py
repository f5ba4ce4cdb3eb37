"""The test project under real uvicorn with lifespan on, started with the process kit.

The test decides when SIGTERM is sent (:meth:`Served.sigterm`) and looks at how
the process ends; servers and HTTP come from ``prodready_loadtest``'s one kit
(:mod:`~prodready_loadtest.app_servers`, :mod:`~prodready_loadtest.client`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping

from prodready_loadtest import app_servers
from prodready_loadtest.client import Answer, connection, get, request
from prodready_loadtest.processes import Served
from tests.servers import REPO, admin_conn, base_env

__all__ = [
    "APP",
    "LIFESPAN_ERRORS",
    "STARTED",
    "STOPPED",
    "Answer",
    "Served",
    "assert_clean",
    "connection",
    "get",
    "project_env",
    "request",
    "sleeping_queries",
    "start",
    "uvicorn",
    "wait_until",
]

APP = "tests.asgi.project.asgi:application"
SETTINGS = "tests.asgi.project.settings"
STARTED = "Application startup complete."
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
    options = ("--timeout-graceful-shutdown", str(graceful), *extra)
    return app_servers.start_uvicorn(APP, env, workers, options=options, cwd=REPO)


@contextlib.contextmanager
def uvicorn(
    env: Mapping[str, str], workers: int = 1, graceful: float = 20, extra: tuple[str, ...] = ()
) -> Iterator[Served]:
    """Serve the test project; yield once every worker completed its start-up and it listens."""
    options = ("--timeout-graceful-shutdown", str(graceful), *extra)
    with app_servers.uvicorn(APP, env, workers, options=options, cwd=REPO) as served:
        yield served
