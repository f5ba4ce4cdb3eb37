"""The built-in checks: cache, Redis, migrations and RQ workers, on real servers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings

from prodready.health import (
    CacheCheck,
    CheckFailed,
    Probe,
    RedisCheck,
    RQWorkerCheck,
    default_checks,
    readiness_defaults,
)
from prodready.health.base import Observation
from prodready.health.render import seed_body
from tests.health.conftest import DB_USER, database_url, demo_env, scenario
from tests.postgres import ThrowawayPostgres
from tests.servers import REDIS_HOST, REDIS_PORT, REPO, RedisServer, free_port

SHARED_REDIS = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


def test_cache_check_round_trips_a_random_key() -> None:
    assert CacheCheck().run() is None


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
def test_cache_check_fails_on_a_cache_that_keeps_nothing() -> None:
    with pytest.raises(CheckFailed, match="did not return the value just set"):
        CacheCheck().run()


def test_checks_are_named_after_their_alias() -> None:
    assert [CacheCheck().name, CacheCheck("sessions").name] == ["cache", "cache_sessions"]
    assert CacheCheck("sessions").component_id == "sessions"


def test_default_checks_cover_every_database_and_cache_then_migrations() -> None:
    checks = default_checks()
    assert [check.name for check in checks] == ["database", "cache", "migrations"]
    assert [check.name for check in readiness_defaults(checks)] == ["database", "migrations"]
    assert readiness_defaults(checks)[0] is checks[0]


@pytest.mark.integration
def test_redis_check_pings() -> None:
    assert RedisCheck(url=SHARED_REDIS).run() is None


@pytest.mark.integration
def test_redis_check_fails_when_nothing_listens() -> None:
    with pytest.raises(redis.ConnectionError):
        RedisCheck(url=f"redis://127.0.0.1:{free_port()}/0").run()


def test_redis_check_without_a_url_says_what_to_set() -> None:
    with pytest.raises(CheckFailed, match="set REDIS_URL"):
        RedisCheck().run()


def test_redis_url_is_not_in_the_repr() -> None:
    assert "s3cret" not in repr(RedisCheck(url="redis://:s3cret@cache:6379/0"))
    assert "s3cret" not in repr(RQWorkerCheck(url="redis://:s3cret@cache:6379/0"))


@pytest.mark.integration
def test_migrations_check_fails_until_the_database_is_migrated(cluster: ThrowawayPostgres) -> None:
    name = "db_unmigrated_q7"
    with cluster.connect() as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {DB_USER}")
    facts = scenario("migrate_then_check", demo_env(database_url(cluster, name)))
    (before,), (after,) = facts["before"], facts["after"]
    assert before["status"] == "failed"
    assert "not applied to 'default'" in before["detail"]
    assert after["status"] == "ok"


def test_migrations_check_never_waits_on_an_exhausted_pool(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    # Right after start-up, requests may hold every pooled connection; readiness
    # must still answer from a connection of its own, within its budget.
    env = demo_env(database_url(cluster), DB_POOL_MODE="native", DB_POOL_TIMEOUT="10")
    facts = scenario("migrations_with_the_pool_exhausted", env)
    (result,) = facts["results"]
    assert result["status"] == "ok"
    assert facts["requests_waiting"] == 0


@pytest.fixture
def rq_redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def _rq_worker(url: str, queue: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "rq.cli", "worker", "--url", url, "--worker-ttl", "2", queue],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _workers(check: RQWorkerCheck) -> tuple[int, str | None]:
    observation = check.run()
    assert isinstance(observation, Observation)
    (measurement,) = observation.measurements
    assert (measurement.name, measurement.unit) == ("workers", "workers")
    return int(measurement.value), observation.warning


def _until_workers(check: RQWorkerCheck, count: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while _workers(check)[0] != count:
        assert time.monotonic() < deadline, f"no {count} fresh worker(s) after {seconds} s"
        time.sleep(0.2)


@pytest.mark.integration
def test_rq_check_counts_live_workers_and_warns_without_one(rq_redis: RedisServer) -> None:
    check = RQWorkerCheck(queue="mail", url=rq_redis.url, worker_ttl=2)
    assert check.name == "rq_mail"
    assert _workers(check) == (
        0,
        "no worker with a heartbeat in the last 2 s listens on queue 'mail'",
    )
    worker = _rq_worker(rq_redis.url, "mail")
    try:
        _until_workers(check, 1)
        assert _workers(check) == (1, None)
        # Killed without deregistering: the registration stays, the heartbeat ages.
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        _until_workers(check, 0)
    finally:
        worker.kill()
        worker.wait(timeout=10)
    assert _workers(check)[1] is not None


@pytest.mark.integration
def test_no_rq_worker_is_a_warning_that_does_not_fail(rq_redis: RedisServer) -> None:
    report = asyncio.run(Probe([RQWorkerCheck(url=rq_redis.url)]).report())
    assert report.passing
    assert seed_body(report, "readiness", detailed=False)["checks"] == {"rq": "warn"}
    assert seed_body(report, "readiness", detailed=False)["status"] == "ready"
