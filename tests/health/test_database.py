"""The database check on a real PostgreSQL: pooled, exhausted, stuck, hung and direct."""

from __future__ import annotations

import pytest

from tests.health.conftest import database_url, demo_env, scenario
from tests.postgres import ThrowawayPostgres
from tests.proxy import HungServer

pytestmark = pytest.mark.integration

POOL_MEASUREMENTS = ["poolSize", "poolAvailable", "requestsWaiting", "poolMax"]


def test_native_pool_is_used_and_its_statistics_reported(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    facts = scenario("pooled", demo_env(database_url(cluster), DB_POOL_MODE="native"))
    first, second = facts["results"]
    assert [first["status"], second["status"]] == ["ok", "ok"]
    assert [m["name"] for m in second["measurements"]] == POOL_MEASUREMENTS
    observed = {m["name"]: m["value"] for m in second["measurements"]}
    assert observed["poolMax"] == 4
    assert observed["requestsWaiting"] == 0
    # The check gave its connection back: every open connection is idle.
    assert facts["stats"]["pool_available"] == facts["stats"]["pool_size"]
    assert facts["lanes"] == ["prodready-health-database"]


def test_exhausted_pool_warns_after_asking_the_server_directly(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    since = cluster.log_size()
    facts = scenario("exhausted", demo_env(database_url(cluster), DB_POOL_MODE="native"))
    (result,) = facts["results"]
    assert result["status"] == "warn"
    assert result["detail"] == (
        "the pool is exhausted: 4 of 4 connections in use, 0 request(s) waiting"
    )
    assert {m["name"]: m["value"] for m in result["measurements"]}["poolAvailable"] == 0
    # The pool had none to give: one SELECT 1 on a connection of the check's own.
    assert cluster.statements(demo_db, since).count("SELECT 1") == 1


def test_stuck_query_times_out_and_never_leaks_its_pooled_connection(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    env = demo_env(
        database_url(cluster), DB_POOL_MODE="native", DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="1"
    )
    facts = scenario("stopped_backend", env)
    assert facts["during"] == ["timeout", "timeout", "timeout"]
    # Three probes, one stuck run: one thread, one connection out of the pool.
    assert facts["lanes"] == ["prodready-health-database"]
    assert facts["stats_during"]["pool_available"] == 0
    assert facts["stats_during"]["pool_size"] == 1
    # Once the backend resumes, the connection is back in the pool and works.
    assert facts["stats_after"]["pool_available"] == facts["stats_after"]["pool_size"] == 1
    assert facts["after"][0]["status"] == "ok"


def test_hung_server_times_out_with_one_thread_and_one_connection_attempt_at_a_time() -> None:
    with HungServer() as hung:
        url = f"postgres://someone:secret@127.0.0.1:{hung.port}/app"
        facts = scenario("hung", demo_env(url, DB_POOL_MODE="off"), probes=8)
        peak = hung.peak_open
    # Each probe answers at its deadline: "timeout", or "failed" when it joined a
    # run whose connection attempt gave up (psycopg's 2 s) within that deadline.
    assert facts["statuses"][0] == "timeout"
    assert set(facts["statuses"]) <= {"timeout", "failed"}
    assert facts["lanes"] == ["prodready-health-database"]
    # Failed attempts are closed at once, not when the garbage collector runs.
    assert peak == 1


def test_direct_connection_without_a_pool(cluster: ThrowawayPostgres, demo_db: str) -> None:
    since = cluster.log_size()
    env = demo_env(database_url(cluster), DB_POOL_MODE="persistent")
    facts = scenario("checks", env, names=["DatabaseCheck"])
    (result,) = facts["results"]
    assert result["status"] == "ok"
    assert result["measurements"] == []
    assert cluster.statements(demo_db, since).count("SELECT 1") == 1
    assert cluster.backends(demo_db) == []


def test_demo_items_in_db_reads_the_planner_estimate_once_analyzed(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    since = cluster.log_size()
    facts = scenario("items_estimate", demo_env(database_url(cluster), DB_POOL_MODE="off"))
    statements = cluster.statements(demo_db, since)
    assert facts == {"before": 5, "estimated": 5, "cached": 5}
    # Counted once while the table had no estimate, then estimated; the cached
    # value cost nothing.
    assert sum("COUNT(*)" in s for s in statements) == 1
    assert sum("reltuples" in s for s in statements) == 2
