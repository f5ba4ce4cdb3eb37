"""Requests reuse database connections per pool mode, and survive terminated backends."""

from __future__ import annotations

import pytest

from tests.integration.children import pgapp_env, pids, run_scenario, statuses
from tests.servers import database_url

pytestmark = pytest.mark.integration

# A native pool of one connection, so that which backend serves is exact: with
# more, psycopg_pool hands out its idle connections in turn.
NATIVE = {"DB_POOL_MODE": "native", "DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "1"}
PERSISTENT = {"DB_POOL_MODE": "persistent", "DB_CONN_MAX_AGE": "600"}
OFF = {"DB_POOL_MODE": "off"}


@pytest.mark.parametrize(
    ("env", "distinct_backends"),
    [(NATIVE, 1), (PERSISTENT, 1), (OFF, 6)],
    ids=["native", "persistent", "off"],
)
def test_consecutive_requests_reuse_one_backend_unless_pooling_is_off(
    database: str, env: dict[str, str], distinct_backends: int
) -> None:
    result = run_scenario("consecutive", pgapp_env(database_url(database), **env), requests=6)

    assert statuses(result["answers"]) == [200] * 6
    assert len(set(pids(result["answers"]))) == distinct_backends


@pytest.mark.parametrize(
    "env",
    [
        {"DB_POOL_MODE": "native", "DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "2"},
        PERSISTENT,
    ],
    ids=["native", "persistent"],
)
def test_requests_after_every_backend_is_terminated_succeed_on_new_backends(
    database: str, env: dict[str, str]
) -> None:
    result = run_scenario("terminated", pgapp_env(database_url(database), **env), before=2, after=3)

    assert statuses(result["before"]) == [200, 200]
    assert set(pids(result["before"])) <= set(result["terminated"])
    assert statuses(result["after"]) == [200, 200, 200]
    assert set(pids(result["after"])).isdisjoint(result["terminated"])
