"""A database link that hangs (a proxy that stops forwarding) ends requests, not workers.

The settings are the staging and prod defaults that bound a hung link:
DB_STATEMENT_TIMEOUT=30000, DB_CONNECT_TIMEOUT=5, DB_POOL_TIMEOUT=10. A query in
flight is cut at 30 + 5 s (prodready.deadlines), a request that waits for a
pooled connection fails within DB_POOL_TIMEOUT plus one connection check, and
readiness answers 503 within HEALTH_TIMEOUT meanwhile.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.asgi.served import get, project_env, sleeping_queries, uvicorn, wait_until
from tests.proxy import HangingProxy
from tests.servers import PG_HOST, PG_PORT, database_url

pytestmark = pytest.mark.integration

STATEMENT_S, CONNECT_S, POOL_S = 30, 5, 10
# The documented bounds, plus the watchdog's poll and a margin for a loaded machine.
QUERY_BOUND = STATEMENT_S + CONNECT_S + 10
WAIT_BOUND = POOL_S + CONNECT_S + 10


def test_a_hung_link_ends_requests_within_the_bound_and_readiness_answers_503(
    database: str,
) -> None:
    with HangingProxy((PG_HOST, PG_PORT)) as proxy:
        env = project_env(
            database_url(database, port=proxy.port),
            DB_STATEMENT_TIMEOUT=str(STATEMENT_S * 1000),
            DB_CONNECT_TIMEOUT=str(CONNECT_S),
            DB_POOL_TIMEOUT=str(POOL_S),
            DB_POOL_MIN_SIZE="2",
            DB_POOL_MAX_SIZE="4",
        )
        with uvicorn(env) as served, ThreadPoolExecutor(4) as pool:
            assert get(served.url + "/pid/").status == 200
            assert get(served.url + "/api/readiness/").status == 200
            in_flight = pool.submit(get, served.url + "/pid/?sleep=3", None, QUERY_BOUND)
            wait_until(lambda: sleeping_queries(database) == 1, "the query is in flight")
            proxy.hang()
            waiting = [pool.submit(get, served.url + "/pid/", None, WAIT_BOUND) for _ in range(2)]
            # Past the one-second result cache, every probe answers in time.
            probes = [get(served.url + "/api/readiness/", timeout=5) for _ in range(3)]
            time.sleep(1.5)
            probes += [get(served.url + "/api/readiness/", timeout=5) for _ in range(3)]
            liveness = get(served.url + "/api/liveness/", timeout=5)
            # A request that never ends raises TimeoutError here.
            answers = [in_flight.result(), *(future.result() for future in waiting)]
            log = served.text()

    assert [probe.status for probe in probes[3:]] == [503, 503, 503]
    assert liveness.status == 200
    assert [answer.status for answer in answers] == [500, 500, 500]
    assert "The database did not answer a query within its deadline" in log
