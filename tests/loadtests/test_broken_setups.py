"""Deliberately broken set-ups fail the check that covers them, with a message saying why.

The two runs are started together (they judge counts, not timings, so sharing
the CPUs does not change their verdicts) to keep the suite short.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from prodready_loadtest.app_servers import uvicorn
from prodready_loadtest.prepare import prepare_database
from prodready_loadtest.scenarios import LOAD_RULES
from tests.loadtests.runs import checks, prodready_loadtest
from tests.servers import (
    DEMO_APP,
    REDIS_PORT,
    REPO,
    base_env,
    database_url,
    temporary_database,
    unique_prefix,
)

pytestmark = pytest.mark.integration
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
LOCUST_OPTIONS = ["--users", "10", "--spawn-rate", "10", "--run-time", "4s"]


def _locmem_store_with_two_workers(
    reports: Path, users: int = 20
) -> subprocess.CompletedProcess[str]:
    return prodready_loadtest(
        "--short", "--scenario", "ratelimit", "--store", "locmem", "--workers", "2",
        "--users", str(users), reports=reports,
    )  # fmt: skip


@contextlib.contextmanager
def _keys_removed(prefix: str) -> Iterator[None]:
    try:
        yield
    finally:
        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=f"{prefix}:*"))
            if keys:
                client.delete(*keys)


def _pool_off_under_standalone_locust(output: Path) -> subprocess.CompletedProcess[str]:
    """Serve the demo with DB_POOL_MODE=off and run ``locust -f loadtests`` on it, by hand."""
    prefix = unique_prefix("lt")
    with temporary_database(prefix="prodready_loadtest_off") as name, _keys_removed(prefix):
        env = base_env(
            APP_PROFILE="dev",
            DATABASE_URL=database_url(name),
            DB_POOL_MODE="off",
            WEB_CONCURRENCY="2",
            REDIS_URL=REDIS_URL,
            RATELIMIT_RULES=LOAD_RULES,
            RATELIMIT_KEY_PREFIX=prefix,
            DJANGO_SETTINGS_MODULE="demo.settings",
        )
        prepare_database(env, items=200, tokens=0)
        with uvicorn(DEMO_APP, env, 2, lifespan="off") as served:
            url = served.url
            return subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    "loadtests",
                    "--headless",
                    *LOCUST_OPTIONS,
                    "--host",
                    url,
                    "ItemsReader",
                ],
                env={**env, "LOADTEST_OUTPUT_DIR": str(output)},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                cwd=REPO,
            )


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    reports = tmp_path_factory.mktemp("reports")
    with ThreadPoolExecutor(max_workers=2) as pool:
        locmem = pool.submit(_locmem_store_with_two_workers, reports)
        off = pool.submit(_pool_off_under_standalone_locust, tmp_path_factory.mktemp("off"))
        yield {"locmem": locmem.result(), "off": off.result()}


def test_local_memory_counters_fail_with_one_user_per_identity(tmp_path: Path) -> None:
    # One anonymous user and one per token: each identity's requests come from one
    # Locust user, which used to keep one connection, hence one worker, and pass.
    result = _locmem_store_with_two_workers(tmp_path, users=4)
    assert result.returncode == 1, result.stdout + result.stderr
    assert not checks(result.stdout)["ratelimit.ip_onset"].passed


def test_local_memory_counters_with_two_workers_fail_the_429_onset(
    broken: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    result = broken["locmem"]
    onset = checks(result.stdout)["ratelimit.ip_onset"]

    assert result.returncode == 1, result.stdout + result.stderr
    assert not onset.passed
    assert "counted by more than one counter" in onset.detail
    assert "each worker process counts in its own local memory; set REDIS_URL" in onset.detail
    assert "prodready loadtest: a check FAILED." in result.stdout


def test_pool_mode_off_fails_connection_reuse_under_plain_locust(
    broken: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    result = broken["off"]
    found = checks(result.stdout)
    opened = found["reuse.connections_opened"]

    assert result.returncode == 1, result.stdout + result.stderr
    assert not opened.passed
    assert opened.value is None  # parsed from the printed line, which carries no value
    assert "DB_POOL_MODE=off opens a connection for every request; use native" in opened.detail
    assert found["reuse.errors"].passed
