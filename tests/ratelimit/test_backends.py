"""Counter backends on real Redis and Django caches: exact, expiring, one round trip."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import subprocess
import threading
import time
from typing import Any

import pytest
import redis
from django.core.cache.backends.locmem import LocMemCache

from prodready.ratelimit import Rule, parse_rules
from prodready.ratelimit.backends import (
    Breaker,
    CacheBackend,
    Hit,
    MemoryBackend,
    StoreUnavailable,
    memory_backend,
    redis_backend,
)
from prodready.ratelimit.limiter import Limiter
from prodready.ratelimit.rate import Rate
from tests.ratelimit.conftest import REDIS_URL, fake_request
from tests.servers import RedisServer

pytestmark = pytest.mark.integration
RULE = Rule(prefix="/api/", rate=Rate(100, 3600), key="ip")


def _admitted_by_threads(limiter: Limiter, threads: int = 1000) -> int:
    barrier = threading.Barrier(threads)
    admitted = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal admitted
        barrier.wait()
        decision = limiter.check(fake_request(), (RULE,))
        assert decision is not None
        if decision.allowed:
            with lock:
                admitted += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return admitted


def test_redis_admits_exactly_the_limit_to_1000_threads(redis_limiter: Limiter) -> None:
    assert _admitted_by_threads(redis_limiter) == 100


def test_local_memory_admits_exactly_the_limit_per_process() -> None:
    # Local memory is exact within one process; each worker process has its
    # own counters (documented, and flagged by prodready.W001).
    limiter = Limiter(CacheBackend(LocMemCache("rl-threads", {})), key_prefix="t")
    assert _admitted_by_threads(limiter) == 100


def test_memory_backend_admits_exactly_the_limit_to_1000_threads() -> None:
    # What the store uses when the default cache is Django's LocMemCache.
    assert _admitted_by_threads(Limiter(MemoryBackend(), key_prefix="t")) == 100


def test_memory_backend_windows_are_aligned_and_ended_ones_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [7200.0 + 3590.5]  # 9.5 s before the end of an hour window
    monkeypatch.setattr(memory_backend, "_time", lambda: now[0])
    backend = MemoryBackend()
    hourly, minutely = Hit("h", 3600), Hit("m", 60)
    assert backend.hit([hourly, minutely]) == [(1, 9.5), (1, 9.5)]
    now[0] += 9.0
    assert backend.hit([hourly]) == [(2, 0.5)]
    now[0] += 0.5  # exactly the boundary: a new window
    assert backend.hit([hourly]) == [(1, 3600.0)]
    assert len(backend) == 2
    now[0] += 60.0  # past the sweep interval: the ended minute window is dropped
    assert backend.hit([hourly]) == [(2, 3540.0)]
    assert len(backend) == 1
    now[0] -= 7200.0  # the clock stepped back two hours: a new window, never a longer one
    assert backend.hit([hourly]) == [(1, 3540.0)]


def test_client_plans_stay_bounded_and_junk_headers_are_not_kept() -> None:
    limiter = Limiter(MemoryBackend(), key_prefix="t", trusted_proxies=1)
    for i in range(5000):
        assert limiter.check(fake_request(f"10.0.{i // 256}.{i % 256}"), (RULE,))
    assert 0 < len(limiter._plans) <= 4096
    limiter._plans.clear()
    for _ in range(3):
        junk = fake_request(HTTP_X_FORWARDED_FOR=f"{random.random()}" * 100)
        decision = limiter.check(junk, (RULE,))
        assert decision is not None
        assert decision.allowed
        junk = fake_request(ip=f"{random.random()}" * 100)  # as a proxy-aware server wrote it
        decision = limiter.check(junk, (RULE,))
        assert decision is not None
        assert decision.bad_address
    assert len(limiter._plans) == 0


def test_two_local_memory_caches_count_separately() -> None:
    # What two worker processes see: each its own cache, so each admits the limit.
    first = Limiter(CacheBackend(LocMemCache("rl-a", {})), key_prefix="t")
    second = Limiter(CacheBackend(LocMemCache("rl-b", {})), key_prefix="t")
    assert _admitted_by_threads(first, 150) + _admitted_by_threads(second, 150) == 200


def test_cache_backend_survives_the_key_vanishing_between_add_and_incr() -> None:
    class VanishingCache(LocMemCache):
        vanished = False

        def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
            if not self.vanished:
                self.vanished = True
                self.delete(key)  # evicted or expired right after add()
            return super().incr(key, delta, version)

    backend = CacheBackend(VanishingCache("rl-vanish", {}))
    counts = [backend.hit([Hit("k", 60)])[0][0] for _ in range(3)]
    assert counts == [1, 2, 3]


def test_async_redis_path_is_exact(redis_limiter: Limiter) -> None:
    async def run() -> int:
        decisions = await asyncio.gather(
            *(redis_limiter.acheck(fake_request(), (RULE,)) for _ in range(300))
        )
        await redis_limiter.aclose()
        return sum(1 for d in decisions if d is not None and d.allowed)

    assert asyncio.run(run()) == 100


def test_every_key_expires(redis_limiter: Limiter, prefix: str) -> None:
    # Thousands of hits over 1-second windows, so keys expire mid-run.
    rules = parse_rules("/ 1000000/s ip; /api/ 1000000/2s user_or_ip")
    deadline = time.monotonic() + 2.5
    hits = 0
    while time.monotonic() < deadline or hits < 3000:
        redis_limiter.check(fake_request(ip=f"192.0.2.{hits % 50}"), rules)
        hits += 1
    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        assert keys
        # -1: no expiry; -2 (the key expired since SCAN) is fine.
        assert [k for k in keys if client.ttl(k) == -1] == []


def test_window_comes_from_the_redis_clock(
    redis_limiter: Limiter, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = Rule(prefix="/", rate=Rate(3, 3600), key="ip")
    first = redis_limiter.check(fake_request(), (rule,))
    # An app server whose clock is 40 minutes ahead still counts in the same window.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 2400)
    second = redis_limiter.check(fake_request(), (rule,))
    assert first is not None
    assert second is not None
    assert [r.hits for r in first.results + second.results] == [1, 2]


def test_random_ipv6_sources_are_bounded_by_distinct_64s(
    redis_limiter: Limiter, prefix: str
) -> None:
    networks = [ipaddress.IPv6Network(f"2001:db8:0:{n:x}::/64") for n in range(10)]
    rng = random.Random(7)
    for _ in range(2000):
        network = rng.choice(networks)
        address = network.network_address + rng.getrandbits(64)
        redis_limiter.check(fake_request(ip=str(address)), (RULE,))
    with redis.Redis.from_url(REDIS_URL) as client:
        assert len(list(client.scan_iter(f"{prefix}:*", count=1000))) == 10


def test_script_is_reloaded_after_script_flush() -> None:
    with RedisServer() as server:
        limiter = Limiter(redis_backend(server.url, 0.5), key_prefix="t")
        first = limiter.check(fake_request(), (RULE,))
        with redis.Redis.from_url(server.url) as admin:
            admin.script_flush()
        second = limiter.check(fake_request(), (RULE,))
        limiter.close()
    assert first is not None
    assert second is not None
    assert [first.results[0].hits, second.results[0].hits] == [1, 2]


def _commands_per_request(rules: str, requests: int) -> list[str]:
    with RedisServer() as server:
        limiter = Limiter(redis_backend(server.url, 0.5), key_prefix="t")
        parsed = parse_rules(rules)
        limiter.check(fake_request(), parsed)  # loads the script and opens the connection
        monitor = subprocess.Popen(
            ["redis-cli", "-p", str(server.port), "monitor"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert monitor.stdout is not None
        assert monitor.stdout.readline().strip() == "OK"
        for _ in range(requests):
            decision = limiter.check(fake_request(), parsed)
            assert decision is not None
            assert len(decision.results) == len(parsed)
        with redis.Redis.from_url(server.url) as admin:
            admin.execute_command("ECHO", "end-of-test")
        lines = []
        for line in monitor.stdout:
            if "end-of-test" in line:
                break
            lines.append(line)
        monitor.kill()
        monitor.wait()
        monitor.stdout.close()
        limiter.close()
    # Commands a script runs are tagged [0 lua]; only the client's own count.
    return [line.split('"')[1].lower() for line in lines if "lua]" not in line]


@pytest.mark.parametrize(
    "rules",
    ["/api/ 100/h ip", "/api/ 100/h ip; /api/ 10/m user_or_ip; GET /api/x 5/s ip"],
    ids=["one-rule", "three-rules"],
)
def test_one_redis_round_trip_per_request(rules: str) -> None:
    assert _commands_per_request(rules, 20) == ["evalsha"] * 20


def test_a_success_that_started_before_a_failure_does_not_close_the_breaker() -> None:
    breaker = Breaker(retry_after=60)
    before = breaker.failures
    breaker.failed("TimeoutError: Timeout reading from socket")
    breaker.succeeded(before)  # a reply read late, from before the store stopped answering
    assert breaker.retry_at
    with pytest.raises(StoreUnavailable, match="Timeout reading from socket; next try"):
        breaker.check()
    breaker.succeeded(breaker.failures)  # a call that started after the failure
    assert not breaker.retry_at
