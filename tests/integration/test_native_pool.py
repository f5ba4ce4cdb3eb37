"""The native psycopg pool bounds a process's backends and fails clearly when exhausted."""

from __future__ import annotations

import pytest

from tests.integration.children import pgapp_env, pids, run_scenario, statuses
from tests.servers import database_url

pytestmark = pytest.mark.integration


def test_concurrent_requests_share_at_most_max_size_backends(database: str) -> None:
    env = pgapp_env(
        database_url(database),
        DB_POOL_MODE="native",
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="2",
    )

    # 4 threads make 20 requests, each holding its connection 50 ms, so the
    # pool grows to its maximum and no further.
    result = run_scenario("concurrent", env, threads=4, requests=20, sleep=0.05)

    assert statuses(result["answers"]) == [200] * 20
    assert len(set(pids(result["answers"]))) == 2
    assert result["peak_backends"] == 2
    assert result["backends_after"] == 2


def test_request_fails_with_pool_timeout_while_every_connection_is_held(database: str) -> None:
    env = pgapp_env(
        database_url(database),
        DB_POOL_MODE="native",
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="2",
        DB_POOL_TIMEOUT="1",
    )

    # Two threads hold both connections while a request waits; then they let go.
    result = run_scenario("exhaustion", env, holders=2)

    assert result["blocked"]["status"] == 500
    assert result["blocked"]["error"] == {
        "type": "django.db.utils.OperationalError",
        "message": "couldn't get a connection after 1.00 sec",
        "cause": "psycopg_pool.PoolTimeout",
    }
    assert result["after"]["status"] == 200
    assert result["after"]["json"]["pid"] in result["held"]
