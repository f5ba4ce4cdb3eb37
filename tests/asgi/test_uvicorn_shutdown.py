"""Under real uvicorn with 2 workers: start-up, SIGTERM with requests in flight, shutdown."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.asgi.served import (
    STARTED,
    STOPPED,
    Answer,
    assert_clean,
    get,
    project_env,
    sleeping_queries,
    start,
    uvicorn,
    wait_until,
)
from tests.servers import backend_pids, database_url

pytestmark = pytest.mark.integration

WORKERS = 2
CLEAN_CLOSE = "Closing the connection pool of database 'default': {} connection(s), 0 lent"


def test_lifespan_opens_pools_at_startup_and_closes_them_at_shutdown(database: str) -> None:
    env = project_env(database_url(database), DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE="3")

    with uvicorn(env, workers=WORKERS) as served:
        # No request was made: the start-up opened the pools, which fill in the background.
        wait_until(lambda: len(backend_pids(database)) == 2 * WORKERS, "pools filled")
        served.sigterm()
        status = served.wait_exit(timeout=30)
        log = served.text()

    assert status == 0
    wait_until(lambda: not backend_pids(database), "every session ended")
    assert log.count(STARTED) == WORKERS
    assert log.count(STOPPED) == WORKERS
    assert log.count(CLEAN_CLOSE.format(2)) == WORKERS
    assert_clean(log)


def test_sigterm_during_a_5s_request_lets_it_complete_then_exits(database: str) -> None:
    env = project_env(database_url(database), DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="2")

    with uvicorn(env, workers=WORKERS, graceful=20) as served, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, served.url + "/pid/?sleep=5")
        wait_until(lambda: sleeping_queries(database) == 1, "the slow request is in flight")
        served.sigterm()
        answer = slow.result(timeout=30)
        status = served.wait_exit(timeout=30)
        log = served.text()

    assert answer.status == 200
    assert status == 0
    # Closed in shutdown, not left to the process's exit: no session remains.
    wait_until(lambda: not backend_pids(database), "every session ended")
    assert log.count(STOPPED) == WORKERS
    assert "Waiting for connections to close." in log  # uvicorn waited for the request
    assert_clean(log)


def test_readiness_answers_503_while_the_in_flight_request_is_served(database: str) -> None:
    env = project_env(
        database_url(database),
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="2",
        HEALTH_DRAIN_SECONDS="2",
    )

    with uvicorn(env, workers=WORKERS, graceful=20) as served, ThreadPoolExecutor(1) as pool:
        assert get(served.url + "/ready/").status == 200
        slow = pool.submit(get, served.url + "/pid/?sleep=4")
        wait_until(lambda: sleeping_queries(database) == 1, "the slow request is in flight")
        served.sigterm()
        probes: list[Answer] = []

        def refused() -> bool:
            probes.append(get(served.url + "/ready/", timeout=5))
            return probes[-1].status == 503

        wait_until(refused, "readiness answers 503", timeout=10)
        probes += [get(served.url + "/ready/", timeout=5) for _ in range(10)]
        in_flight_meanwhile = not slow.done()
        answer = slow.result(timeout=30)
        status = served.wait_exit(timeout=30)
        log = served.text()

    assert in_flight_meanwhile
    # uvicorn's parent relays SIGTERM to one worker, then the other, within
    # half a second; from its signal on, a worker refuses every probe.
    by_worker: dict[int, list[int]] = {}
    for probe in probes:
        by_worker.setdefault(probe.json["worker"], []).append(probe.status)
    for statuses in by_worker.values():
        serving = statuses.index(503) if 503 in statuses else len(statuses)
        assert statuses == [200] * serving + [503] * (len(statuses) - serving)
    # Clients on keep-alive connections are told to go elsewhere.
    assert all(p.headers.get("connection") == "close" for p in probes if p.status == 503)
    assert answer.status == 200
    assert status == 0
    wait_until(lambda: not backend_pids(database), "every session ended")
    assert log.count("Received SIGTERM: draining (readiness answers 503); serving 2.0 s") == 2
    assert log.count(STOPPED) == WORKERS
    assert_clean(log)


def test_invalid_profile_fails_the_startup_without_restarting_workers() -> None:
    # prod without a secret key, hosts or database.
    env = project_env("", APP_PROFILE="prod")
    del env["DATABASE_URL"], env["ALLOWED_HOSTS"]

    served = start(env, workers=WORKERS)
    try:
        served.wait_exit(timeout=60)
        log = served.text()
    finally:
        served.stop(graceful=False)

    # Each worker reported the profile's problems once; none was started again.
    assert 1 <= log.count("prodready: the prod configuration has 3 problems:") <= WORKERS
    assert log.count("Started server process") <= WORKERS
    assert "failed to start, stopping the parent process" in log
    assert "SECRET_KEY: is required in the prod profile" in log
    assert "Traceback" not in log


def test_a_flood_of_sigterm_and_sigint_ends_the_server_within_the_drain_bound(
    database: str,
) -> None:
    # 50 signals in one second, as a supervisor and a shell both sending them do.
    env = project_env(database_url(database), HEALTH_DRAIN_SECONDS="5")
    graceful = 10
    with uvicorn(env, workers=1, graceful=graceful) as served:
        assert get(served.url + "/pid/").status == 200
        for number in range(50):
            served.process.send_signal(signal.SIGINT if number % 2 else signal.SIGTERM)
            time.sleep(0.02)
        # A server that hung in its signal handler never gets here (TimeoutExpired).
        status = served.wait_exit(timeout=5 + graceful + 10)
        log = served.text()

    # What matters is that it ends. A second SIGINT makes uvicorn skip the graceful
    # shutdown (its force exit, as for a second Ctrl-C), and with one worker it re-raises
    # the signal it stopped on once done, so the process ends by that signal.
    assert status in (0, 1, -signal.SIGTERM, -signal.SIGINT)
    assert "Finished server process" in log
