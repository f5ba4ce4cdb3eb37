"""Rate limits under real uvicorn worker processes sharing Redis."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from tests.ratelimit.conftest import REDIS_URL
from tests.servers import RedisServer, base_env, unique_prefix, uvicorn_server

pytestmark = pytest.mark.integration


def _env(prefix: str, redis_url: str = REDIS_URL, **extra: str) -> dict[str, str]:
    # 300 client threads and the servers saturate this 2-core machine: event-loop
    # lag would count against the default 0.1 s store timeout and turn some
    # requests into (logged) fail-open ones. These tests measure counting, so
    # they give the store a generous timeout; the outage tests set their own.
    settings = {
        "DJANGO_SETTINGS_MODULE": "tests.ratelimit.app_settings",
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": redis_url,
        "RATELIMIT_RULES": "GET /api/ 100/h ip",
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_TIMEOUT": "2",
    }
    return base_env(**{**settings, **extra})


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only)
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def _counted(url: str) -> bool:
    """Tell whether the limiter counted this request (it then sends RateLimit)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only)
            return "RateLimit" in response.headers
    except urllib.error.HTTPError as err:
        return "RateLimit" in err.headers


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
        with uvicorn_server(_env(prefix, WEB_CONCURRENCY="2"), workers=2) as (url, _):
            counts = _burst([f"{url}/api/ok/"], 300)
    finally:
        _cleanup(prefix)
    assert counts == Counter({200: 100, 429: 200})


def test_two_instances_sharing_redis_admit_exactly_100_of_300(prefix: str) -> None:
    try:
        with (
            uvicorn_server(_env(prefix)) as (first, _),
            uvicorn_server(_env(prefix)) as (second, _),
        ):
            counts = _burst([f"{first}/api/ok/", f"{second}/api/ok/"], 300)
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
            prefix,
            store.url,
            RATELIMIT_FAIL_OPEN=fail_open,
            RATELIMIT_RULES="GET /api/ 5/h ip",
            RATELIMIT_TIMEOUT="0.1",
        )
        with uvicorn_server(env) as (url, log):
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
        env = _env(prefix, store.url, RATELIMIT_FAIL_OPEN="false", RATELIMIT_TIMEOUT="0.1")
        with uvicorn_server(env) as (url, log):
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
