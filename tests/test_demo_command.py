"""``prodready demo``: a database of its own, and no connection kept by the serving parent."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from prodready_loadtest.client import get
from tests.servers import (
    admin_conn,
    backend_pids,
    database_url,
    free_port,
    prodready_process,
    temporary_database,
    wait_for_port,
)

pytestmark = pytest.mark.integration

WORKERS, POOL_MAX = 2, 4


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PRODREADY_BASE_DIR": str(tmp_path),
        "RATELIMIT_RULES": "GET /api/ 1000000/h ip",
        **overrides,
    }


def _get(url: str) -> int:
    return get(url).status


def test_backends_under_load_stay_within_workers_times_pool_size(tmp_path: Path) -> None:
    port = free_port()
    with temporary_database(prefix="prodready_demo") as name:
        env = _env(tmp_path, DB_POOL_MAX_SIZE=str(POOL_MAX))
        demo = prodready_process(
            *("demo", "--port", str(port), "--workers", str(WORKERS)),
            *("--database", database_url(name)),
            env=env,
        )
        try:
            wait_for_port(port, timeout=90)
            url = f"http://127.0.0.1:{port}/api/items/"
            peak = 0
            with ThreadPoolExecutor(16) as pool:
                for _ in range(5):
                    statuses = list(pool.map(_get, [url] * 64))
                    peak = max(peak, len(backend_pids(name)))
        finally:
            demo.terminate()
            demo.wait(timeout=60)
    assert set(statuses) == {200}
    assert 0 < peak <= WORKERS * POOL_MAX


def test_the_demo_never_touches_the_shells_database_url(tmp_path: Path) -> None:
    # DATABASE_URL names a project's own database; the demo uses its SQLite instead.
    port = free_port()
    with temporary_database(prefix="prodready_users_own") as name:
        env = _env(tmp_path, DATABASE_URL=database_url(name))
        demo = prodready_process("demo", "--port", str(port), env=env, output=True)
        try:
            wait_for_port(port, timeout=90)
            assert _get(f"http://127.0.0.1:{port}/api/items/") == 200
        finally:
            demo.terminate()
            output, _ = demo.communicate(timeout=60)
        assert not backend_pids(name)
        with admin_conn(name) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
    assert tables == (0,)
    assert (tmp_path / "state" / "prodready-demo" / "demo.sqlite3").exists()
    assert "sqlite:///" in output
