"""Under real uvicorn: the database down at start-up, restarted under load, clients leaving."""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.asgi.served import (
    LIFESPAN_ERRORS,
    STOPPED,
    assert_clean,
    get,
    project_env,
    sleeping_queries,
    uvicorn,
    wait_until,
)
from tests.postgres import ThrowawayPostgres
from tests.servers import BackendPeak, database_url

pytestmark = pytest.mark.integration

WORKERS = 2
POOL_CLOSED = re.compile(
    r"Closing the connection pool of database 'default': (\d+) connection\(s\), (\d+) lent"
)


def test_startup_succeeds_with_the_database_down_and_recovers_when_it_starts(
    throwaway_postgres: ThrowawayPostgres,
) -> None:
    env = project_env(
        throwaway_postgres.url(), DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="2", DB_POOL_TIMEOUT="1"
    )

    # Nothing listens on the cluster's port yet; every worker still starts.
    with uvicorn(env, workers=WORKERS) as served:
        ready_while_down = get(served.url + "/ready/").status
        query_while_down = get(served.url + "/pid/").status
        throwaway_postgres.start()
        wait_until(lambda: get(served.url + "/pid/").status == 200, "queries succeed", timeout=60)
        served.sigterm()
        status = served.wait_exit(timeout=30)
        log = served.text()

    assert ready_while_down == 200  # the process serves; only the database check would fail
    assert query_while_down == 500  # after DB_POOL_TIMEOUT, not a hang
    assert status == 0
    assert log.count(STOPPED) == WORKERS
    for text in LIFESPAN_ERRORS:
        assert text not in log


def test_restart_under_load_costs_at_most_one_error_per_pooled_connection(
    throwaway_postgres: ThrowawayPostgres,
) -> None:
    throwaway_postgres.start()
    max_size = 2
    env = project_env(
        throwaway_postgres.url(), DB_POOL_MIN_SIZE="2", DB_POOL_MAX_SIZE=str(max_size)
    )
    restarted = threading.Event()
    stop = threading.Event()
    # (started after the restart returned, status) of every request
    results: list[tuple[bool, int]] = []

    with uvicorn(env, workers=WORKERS) as served:

        def load() -> None:
            while not stop.is_set():
                after = restarted.is_set()
                results.append((after, get(served.url + "/pid/?sleep=0.02").status))

        with ThreadPoolExecutor(6) as pool:
            for _ in range(6):
                pool.submit(load)
            wait_until(lambda: len(results) >= 100, "load is running")
            throwaway_postgres.restart()
            restarted.set()
            wait_until(
                lambda: sum(1 for after, status in results if after and status == 200) >= 300,
                "300 requests served after the restart",
                timeout=60,
            )
            stop.set()
        served.sigterm()
        served.wait_exit(timeout=30)

    errors = [status for _, status in results if status != 200]
    assert len(errors) <= max_size * WORKERS
    assert set(errors) <= {500}
    # Recovery: once one request succeeded after the restart, none failed.
    after = [status for started_after, status in results if started_after]
    first_success = after.index(200)
    assert after[first_success:] == [200] * len(after[first_success:])


def _abandon(url: str, path: str, wait: float) -> None:
    """Send a request, then hang up after ``wait`` seconds without reading the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(wait)


def test_clients_hanging_up_leave_every_connection_back_in_the_pool(database: str) -> None:
    max_size = 3
    env = project_env(database_url(database), DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE=str(max_size))
    rng = random.Random(19)
    # Half of the clients hang up while their request waits for a connection or
    # holds one; Django then cancels the request's task.
    plan = [rng.choice([None, rng.uniform(0, 0.3)]) for _ in range(120)]
    with uvicorn(env, workers=WORKERS) as served:
        with BackendPeak(database) as peak:
            with ThreadPoolExecutor(16) as pool:
                answers = list(
                    pool.map(
                        lambda wait: (
                            get(served.url + "/pid/?sleep=0.1").status
                            if wait is None
                            else _abandon(served.url, "/pid/?sleep=0.1", wait)
                        ),
                        plan,
                    )
                )
            # The abandoned requests run to their end on the server.
            wait_until(lambda: sleeping_queries(database) == 0, "abandoned requests finished")
        served.sigterm()
        served.wait_exit(timeout=30)
        log = served.text()

    assert [a for a in answers if a is not None] == [200] * plan.count(None)
    assert peak.value <= max_size * WORKERS
    # At shutdown each worker's pool had every connection back.
    closed = [(int(size), int(lent)) for size, lent in POOL_CLOSED.findall(log)]
    assert len(closed) == WORKERS
    assert all(1 <= size <= max_size and lent == 0 for size, lent in closed)
    assert_clean(log)
