"""Rate limits under real uvicorn worker processes sharing Redis."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import urllib3

from prodready_loadtest.app_servers import uvicorn
from prodready_loadtest.burst import burst, cpu_hogs, statuses
from prodready_loadtest.client import get
from prodready_loadtest.processes import free_port, start_server
from tests.ratelimit.conftest import REDIS_URL
from tests.servers import DEMO_APP, REPO, RedisServer, base_env, unique_prefix

pytestmark = pytest.mark.integration


def _env(prefix: str, redis_url: str = REDIS_URL, **extra: str) -> dict[str, str]:
    # Every setting not named here is the default: RATELIMIT_TIMEOUT above all.
    settings = {
        "DJANGO_SETTINGS_MODULE": "tests.ratelimit.app_settings",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": redis_url,
        "RATELIMIT_RULES": "GET /api/ 100/h ip",
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    return base_env(**{**settings, **extra})


def _staging(prefix: str, **extra: str) -> dict[str, str]:
    """The demo's whole middleware chain under the staging profile, over plain HTTP."""
    return _env(
        prefix,
        DJANGO_SETTINGS_MODULE="tests.ratelimit.burst_settings",
        APP_PROFILE="staging",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        **extra,
    )


def _get(url: str) -> int:
    return get(url).status


def _counted(url: str) -> bool:
    """Tell whether the limiter counted this request (it then sends RateLimit)."""
    return "RateLimit" in get(url).headers


def _burst(urls: list[str], total: int) -> Counter[int]:
    with ThreadPoolExecutor(max_workers=100) as pool:
        return Counter(pool.map(_get, [urls[i % len(urls)] for i in range(total)]))


@pytest.fixture
def prefix() -> str:
    return unique_prefix("uv")


def _cleanup(prefix: str) -> None:
    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def test_two_workers_admit_exactly_100_of_300(prefix: str) -> None:
    try:
        with uvicorn(DEMO_APP, _env(prefix, WEB_CONCURRENCY="2"), 2, lifespan="off") as served:
            counts = _burst([f"{served.url}/api/ok/"], 300)
    finally:
        _cleanup(prefix)
    assert counts == Counter({200: 100, 429: 200})


def test_two_instances_sharing_redis_admit_exactly_100_of_300(prefix: str) -> None:
    try:
        with (
            uvicorn(DEMO_APP, _env(prefix), lifespan="off") as first,
            uvicorn(DEMO_APP, _env(prefix), lifespan="off") as second,
        ):
            counts = _burst([f"{first.url}/api/ok/", f"{second.url}/api/ok/"], 300)
    finally:
        _cleanup(prefix)
    assert counts == Counter({200: 100, 429: 200})


def _warnings(log: Path) -> list[str]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines if "prodready.ratelimit" in line]


def _until(predicate: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize(
    ("fail_open", "outage_status"),
    [("true", 200), ("false", 503)],
    ids=["fail-open", "fail-closed"],
)
def test_redis_outage_and_recovery(prefix: str, fail_open: str, outage_status: int) -> None:
    with RedisServer() as store:
        env = _env(
            prefix, store.url, RATELIMIT_FAIL_OPEN=fail_open, RATELIMIT_RULES="GET /api/ 5/h ip"
        )
        with uvicorn(DEMO_APP, env, lifespan="off") as served:
            url, log = served.url, served.log
            before = [_get(f"{url}/api/ok/") for _ in range(6)]
            store.stop()
            during = [_get(f"{url}/api/ok/") for _ in range(30)]
            store.start()
            # Limits resume once the store answers again (a fresh server: counts restart).
            _until(lambda: _counted(f"{url}/api/ok/"))
            after = [_get(f"{url}/api/ok/") for _ in range(8)]
            warnings = _warnings(log)
    assert before == [200] * 5 + [429]
    assert set(during) == {outage_status}
    assert after.count(429) >= 3
    assert 500 not in before + during + after
    assert len(warnings) == 2, warnings
    assert "rate-limit store unavailable" in warnings[0]
    assert "rate-limit store available again" in warnings[1]


def test_hung_redis_is_given_up_on_and_the_policy_applies(prefix: str) -> None:
    with RedisServer() as store:
        env = _env(prefix, store.url, RATELIMIT_FAIL_OPEN="false")
        with uvicorn(DEMO_APP, env, lifespan="off") as served:
            url, log = served.url, served.log
            assert _get(f"{url}/api/ok/") == 200
            assert store.process is not None
            os.kill(store.process.pid, signal.SIGSTOP)  # accepts, never answers
            try:
                hung = [_get(f"{url}/api/ok/") for _ in range(5)]
            finally:
                os.kill(store.process.pid, signal.SIGCONT)
            warnings = _warnings(log)
    assert hung == [503] * 5
    assert len(warnings) == 1
    assert "(TimeoutError: " in warnings[0]


@pytest.fixture
def saturated_cpu() -> Iterator[None]:
    """Keep every core busy with other processes, as a noisy neighbour would."""
    with cpu_hogs((os.cpu_count() or 2) + 1):
        yield


BURSTS = 20


@pytest.mark.usefixtures("saturated_cpu")
def test_simultaneous_bursts_admit_exactly_the_limit_with_default_settings(prefix: str) -> None:
    # The attack the limiter exists for: 300 connections opened together and
    # released in the same instant, the first burst as soon as the port
    # accepts connections, the CPU saturated, and every setting the default.
    rounds: list[Counter[int]] = []
    try:
        with uvicorn(
            DEMO_APP, _staging(prefix, WEB_CONCURRENCY="2"), 2, lifespan="on", started=False
        ) as served:
            for _ in range(BURSTS):
                rounds.append(statuses(asyncio.run(burst(f"{served.url}/api/ok/", 300))))
                _cleanup(prefix)
            warnings = _warnings(served.log)
    finally:
        _cleanup(prefix)
    assert rounds == [Counter({200: 100, 429: 200})] * BURSTS
    assert warnings == []


def _spoofed(url: str, n: int) -> Counter[int]:
    answers = []
    for _ in range(n):
        forged = f"203.0.113.{random.randrange(1, 255)}, 198.51.100.{random.randrange(1, 255)}"
        answers.append(get(url, headers={"X-Forwarded-For": forged}).status)
    return Counter(answers)


def test_forwarded_for_from_a_loopback_peer_never_picks_the_key_under_uvicorn_defaults(
    prefix: str,
) -> None:
    # uvicorn's defaults: --proxy-headers on, trusting 127.0.0.1; lifespan auto.
    env = _env(prefix, RATELIMIT_RULES="GET /api/ 5/h ip")
    try:
        with uvicorn(DEMO_APP, env, lifespan="auto") as served:
            counts = _spoofed(f"{served.url}/api/ok/", 20)
            text = served.text()
    finally:
        _cleanup(prefix)
    assert counts == Counter({200: 5, 429: 15})
    assert "prodready keeps REMOTE_ADDR as the connection's peer" in text


def test_forwarded_for_never_picks_the_key_under_prodready_demo(
    prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    env = base_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        REDIS_URL=REDIS_URL,
        RATELIMIT_RULES="GET /api/ 5/h ip",
        RATELIMIT_KEY_PREFIX=prefix,
    )
    command = [sys.executable, "-m", "prodready.cli", "demo", "--port", str(port)]
    served = start_server(command, env, port, log=tmp_path / "demo.log", cwd=REPO)
    try:
        served.wait_listening(timeout=60)
        counts = _spoofed(f"{served.url}/api/items/", 20)
    finally:
        served.stop()
        _cleanup(prefix)
    assert counts == Counter({200: 5, 429: 15})


def test_a_client_that_waits_retry_after_is_admitted_on_its_first_retry(prefix: str) -> None:
    # Two rules: the 2-second one refuses the third request, which leaves the
    # 4-second one at its limit too. Retry-After must cover both.
    env = _env(prefix, RATELIMIT_RULES="GET /api/ 3/4s ip; GET /api/ok/ 2/2s ip")
    retry = urllib3.Retry(
        total=1, status_forcelist=[429], respect_retry_after_header=True, backoff_factor=0
    )
    try:
        with uvicorn(DEMO_APP, env, lifespan="off") as served, urllib3.PoolManager() as http:
            url = served.url
            # Start just after both windows opened (they are aligned on the epoch).
            time.sleep(4 - time.time() % 4 + 0.05)
            first = [http.request("GET", f"{url}/api/ok/", retries=False).status for _ in "ab"]
            refused = http.request("GET", f"{url}/api/ok/", retries=False)
            retried = http.request("GET", f"{url}/api/ok/", retries=retry)
    finally:
        _cleanup(prefix)
    assert first == [200, 200]
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 3
    assert retried.status == 200
    assert retried.retries is not None
    assert len(retried.retries.history) == 1
