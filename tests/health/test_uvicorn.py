"""The probe endpoints of the demo under real uvicorn, against PostgreSQL and Redis that fail.

Every answer is checked for status and body; "within HEALTH_TIMEOUT" shows as
a 503 whose check says ``timeout`` (a timing assertion would be flaky on a
loaded machine), the client itself waiting far longer.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from prodready_loadtest.app_servers import uvicorn
from prodready_loadtest.client import Answer, get
from prodready_loadtest.processes import Served
from tests.health.conftest import TOKEN, assert_public, database_url, demo_env
from tests.postgres import ThrowawayPostgres
from tests.proxy import HungServer
from tests.servers import DEMO_APP, RedisServer

pytestmark = pytest.mark.integration

FAILING = {"failed", "timeout"}
BEARER = {"Authorization": f"Bearer {TOKEN}"}
HEALTH_JSON = {"Accept": "application/health+json"}


@pytest.fixture(scope="module")
def demo_server(cluster: ThrowawayPostgres, demo_db: str) -> Iterator[Served]:
    """The demo on the native pool with a 0.3 s cache period, shared by this module's tests."""
    with uvicorn(DEMO_APP, demo_env(database_url(cluster), HEALTH_CACHE_SECONDS="0.3")) as server:
        yield server


def _until(predicate: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def _probe_all(server: Served) -> dict[str, Answer]:
    """Every probe endpoint in every form: plain, health+json, and with the token."""
    answers = {}
    for name in ("health", "readiness", "liveness"):
        url = f"{server.url}/api/{name}/"
        answers[name] = get(url)
        answers[f"{name}+json"] = get(url, HEALTH_JSON)
        answers[f"{name}+token"] = get(url, BEARER)
    return answers


def test_database_stopped_then_restarted(cluster: ThrowawayPostgres, demo_server: Served) -> None:
    url = demo_server.url
    ready = get(f"{url}/api/readiness/")
    assert ready.status == 200
    assert ready.json["checks"] == {"database": "ok", "migrations": "ok"}
    assert ready.json["items_in_db"] == 5
    cluster.stop()
    try:
        time.sleep(0.35)  # past the cache period
        down = _probe_all(demo_server)
    finally:
        cluster.start()
    time.sleep(0.35)
    after_restart = [get(f"{url}/api/readiness/") for _ in range(5)]
    log = demo_server.text()

    # Readiness and health fail at once, the database reported failed.
    assert down["readiness"].status == 503
    assert down["readiness"].json["status"] == "not_ready"
    assert down["readiness"].json["checks"]["database"] in FAILING
    assert down["health"].status == 503
    assert down["health"].json["status"] == "unhealthy"
    assert down["health"].json["checks"]["database"] in FAILING
    assert down["health+json"].json["status"] == "fail"
    # Liveness does not care.
    assert down["liveness"].status == 200
    assert down["liveness"].json["status"] == "alive"
    # No public body or header shows anything of the URL or the error.
    for key, answer in down.items():
        if not key.endswith("+token"):
            assert_public(answer.text)
            assert_public(str(answer.headers))
    # The token holder and the log get the error.
    assert "error" in down["health+token"].json["details"]["database"]
    assert "health check 'database' failed" in log
    # Back up: the next probe past the cache period is ready, and so are the others.
    assert [answer.status for answer in after_restart] == [200] * 5
    assert {answer.json["checks"]["database"] for answer in after_restart} <= {"ok", "warn"}


def test_every_session_terminated_gives_no_false_failure(
    cluster: ThrowawayPostgres, demo_db: str, demo_server: Served
) -> None:
    _assert_terminations_go_unnoticed(cluster, demo_db, demo_server, pooled=True)


def test_every_session_terminated_without_a_pool_gives_no_false_failure(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    # persistent is refused under ASGI (prodready.E001); off takes the same path
    # in the check: a connection of its own.
    env = demo_env(database_url(cluster), DB_POOL_MODE="off", HEALTH_CACHE_SECONDS="0.3")
    with uvicorn(DEMO_APP, env) as server:
        _assert_terminations_go_unnoticed(cluster, demo_db, server, pooled=False)


def _assert_terminations_go_unnoticed(
    cluster: ThrowawayPostgres, demo_db: str, server: Served, *, pooled: bool
) -> None:
    assert get(f"{server.url}/api/readiness/").status == 200
    answers = []
    for _ in range(3):
        _until(lambda: cluster.backends(demo_db) != [] or not pooled)
        cluster.terminate_all(demo_db)
        time.sleep(0.35)  # past the cache period
        answers.append(get(f"{server.url}/api/readiness/", BEARER))
    assert [answer.status for answer in answers] == [200] * 3
    assert [answer.json["checks"]["database"] for answer in answers] == ["ok"] * 3


def test_hung_database_times_out_without_piling_up_threads_or_connections() -> None:
    with HungServer() as hung:
        url = f"postgres://someone:secret@127.0.0.1:{hung.port}/app"
        env = demo_env(url, HEALTH_CACHE_SECONDS="0", HEALTH_TIMEOUT="0.3", DB_POOL_MIN_SIZE="1")
        with uvicorn(DEMO_APP, env) as server:
            assert get(f"{server.url}/api/liveness/").status == 200
            first = get(f"{server.url}/api/readiness/")
            threads_after_first = server.threads()
            answers, threads = [], []
            for _ in range(12):
                answers.append(get(f"{server.url}/api/readiness/"))
                threads.append(server.threads())
            liveness = get(f"{server.url}/api/liveness/")
        peak = hung.peak_open
    assert first.status == 503
    assert first.json["checks"]["database"] == "timeout"
    assert [answer.status for answer in answers] == [503] * 12
    assert {answer.json["checks"]["database"] for answer in answers} <= FAILING
    assert liveness.status == 200
    # One thread per check (database, migrations, items_in_db) and the pool's,
    # all there after the first probe; 12 probes add none. Django's handler
    # runs each request with two short-lived threads of its own (asgiref's
    # ThreadSensitiveContext), which a sample may catch.
    assert max(threads) <= threads_after_first + 2
    # The pool's connection attempts (at most its maximum, 4) and the check's own.
    assert peak <= 5


@pytest.mark.parametrize("workers", [1, 2])
def test_probe_storm_costs_one_select_per_process(
    cluster: ThrowawayPostgres, demo_db: str, workers: int
) -> None:
    env = demo_env(database_url(cluster), HEALTH_CACHE_SECONDS="2", WEB_CONCURRENCY=str(workers))
    with uvicorn(DEMO_APP, env, workers) as server:
        # Warm every worker up (pool, migrations, the items count), then wait
        # out the cache period.
        for _ in range(20 * workers):
            assert get(f"{server.url}/api/readiness/").status == 200
        time.sleep(2.1)
        backends_before = len(cluster.backends(demo_db))
        since = cluster.log_size()
        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(
                pool.map(lambda _: get(f"{server.url}/api/readiness/").status, range(200))
            )
            liveness = list(
                pool.map(lambda _: get(f"{server.url}/api/liveness/").status, range(100))
            )
        statements = [s for s in cluster.statements(demo_db, since) if s.strip()]
        backends_after = len(cluster.backends(demo_db))
    assert statuses == [200] * 200
    assert liveness == [200] * 100
    # Nothing but SELECT 1 (no write, no count), at most once per process.
    assert set(statements) == {"SELECT 1"}
    assert 1 <= len(statements) <= workers
    assert backends_after == backends_before


def test_redis_stopped_fails_the_cache_not_liveness(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    with RedisServer() as redis_server:
        env = demo_env(
            database_url(cluster), REDIS_URL=redis_server.url, HEALTH_CACHE_SECONDS="0.3"
        )
        with uvicorn(DEMO_APP, env) as server:
            up = get(f"{server.url}/api/health/")
            redis_server.stop()
            time.sleep(0.35)
            down = _probe_all(server)
    assert up.status == 200
    assert up.json["checks"] == {"database": "ok", "cache": "ok", "redis": "ok", "migrations": "ok"}
    assert down["health"].status == 503
    assert down["health"].json["checks"]["cache"] in FAILING
    assert down["health"].json["checks"]["redis"] in FAILING
    assert down["health"].json["checks"]["database"] == "ok"
    assert down["liveness"].status == 200
    # Readiness does not depend on the cache by default.
    assert down["readiness"].status == 200
    for key, answer in down.items():
        if not key.endswith("+token"):
            assert_public(answer.text)


def test_pod_ip_probes_pass_host_and_tls_rules_under_the_prod_profile(
    cluster: ThrowawayPostgres, demo_db: str
) -> None:
    env = demo_env(
        database_url(cluster),
        APP_PROFILE="prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="api.example.com",
    )
    pod = {"Host": "10.42.0.7:8000"}
    with uvicorn(DEMO_APP, env) as server:
        probes = {
            f"{name}{slash}": get(f"{server.url}/api/{name}{slash}", pod)
            for name in ("readiness", "liveness")
            for slash in ("/", "")  # a kubelet probe is written either way
        }
        others = [
            get(f"{server.url}{path}", pod)
            for path in ("/api/items/", "/api/items", "/api/readiness/x", "/")
        ]
        redirected = get(f"{server.url}/api/items/", {"Host": "api.example.com"})
    assert {name: answer.status for name, answer in probes.items()} == {
        "readiness/": 200,
        "readiness": 200,
        "liveness/": 200,
        "liveness": 200,
    }
    assert probes["readiness/"].json["status"] == "ready"
    assert probes["readiness"].json["status"] == "ready"
    assert [answer.status for answer in others] == [400] * 4
    assert redirected.status == 301
    assert redirected.headers["Location"] == "https://api.example.com/api/items/"


def test_health_json_under_uvicorn_reports_the_native_pool(demo_server: Served) -> None:
    public = get(f"{demo_server.url}/api/health/", HEALTH_JSON)
    assert public.status == 200
    assert public.headers["Content-Type"] == "application/health+json"
    body = public.json
    assert body["status"] in ("pass", "warn")
    assert set(body["checks"]) == {
        "database:responseTime",
        "database:poolSize",
        "database:poolAvailable",
        "database:requestsWaiting",
        "database:poolMax",
        "cache:responseTime",
        "migrations:responseTime",
    }
    (pool_max,) = body["checks"]["database:poolMax"]
    assert (pool_max["observedValue"], pool_max["observedUnit"]) == (4, "connections")
    assert pool_max["componentId"] == "default"
    assert pool_max["componentType"] == "datastore"
    assert_public(public.text)
