"""Per-request overhead of prodready and its peers over a no-limiter baseline, in one run.

Run with the command at the top of docs/benchmarks.md. Nothing here asserts
a time: the summary prints the ratios and the targets next to them.
"""

from __future__ import annotations

import os
import random

import pytest
import redis
from django.test import override_settings
from pytest_benchmark.fixture import BenchmarkFixture
from redis.connection import AbstractConnection as Connection

from tests.benchmarks.handler import Send, make_sender
from tests.benchmarks.summary import RESULTS, Measurement
from tests.benchmarks.variants import COMMON, TIGHT, VARIANTS, Variant

# All variants are measured, then all again, PASSES times: a load change on a
# shared machine then hits every variant of a pass alike.
PASSES = int(os.environ.get("PRODREADY_BENCH_PASSES", "5"))
ROUNDS = 700  # per pass
ITERATIONS = 5  # requests per timed round
WARMUP_ROUNDS = 100
COUNTED_REQUESTS = 20


def _needs_redis(variant: Variant, bench_redis: redis.Redis | None) -> None:
    if variant.store == "redis" and bench_redis is None:
        pytest.skip("Redis is not reachable at the benchmarks' REDIS_URL")


def _redis_commands(send: Send, monkeypatch: pytest.MonkeyPatch) -> tuple[str, ...]:
    """Return the Redis commands one request sends (each is one round trip here)."""
    sent: list[str] = []
    original = Connection.send_packed_command

    def counting(connection: Connection, command: object, *args: object, **kw: object) -> None:
        # Every command goes out through send_packed_command (send_command
        # packs and calls it; prodready sends pre-packed EVALSHA bytes itself).
        chunks = [command] if isinstance(command, bytes | str) else list(command)  # type: ignore[call-overload]
        head = chunks[0].encode() if isinstance(chunks[0], str) else bytes(chunks[0])
        sent.append(head.split(b"\r\n")[2].decode().upper())
        original(connection, command, *args, **kw)

    with monkeypatch.context() as patch:
        patch.setattr(Connection, "send_packed_command", counting)
        for _ in range(COUNTED_REQUESTS):
            send()
    if len(sent) % COUNTED_REQUESTS:
        pytest.fail(f"{len(sent)} Redis commands in {COUNTED_REQUESTS} requests: {sent}")
    return tuple(sent[: len(sent) // COUNTED_REQUESTS])


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.limiter], ids=lambda v: v.id)
def test_limiter_refuses_past_its_limit(variant: Variant, bench_redis: redis.Redis | None) -> None:
    """The limiter under test really counts: with a limit of 2, the third request is refused."""
    _needs_redis(variant, bench_redis)
    assert variant.tight is not None
    path, settings = variant.tight
    client = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    with override_settings(**{**COMMON, **settings}):
        send = make_sender(path, remote_addr=client)
        statuses = [send().status_code for _ in range(TIGHT + 1)]
    assert statuses[:TIGHT] == [200] * TIGHT
    assert statuses[TIGHT] in (403, 429)


@pytest.mark.parametrize(
    ("run", "variant"),
    [(run, variant) for run in range(1, PASSES + 1) for variant in VARIANTS],
    ids=lambda value: value.id if isinstance(value, Variant) else f"pass{value}",
)
def test_request(
    run: int,
    variant: Variant,
    benchmark: BenchmarkFixture,
    bench_redis: redis.Redis | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Time one GET through the whole handler with this variant's middleware and view."""
    _needs_redis(variant, bench_redis)
    with override_settings(**{**COMMON, **variant.settings}):
        send = make_sender(variant.path)
        assert send().status_code == 200
        benchmark.group = f"pass {run}"
        benchmark.pedantic(send, rounds=ROUNDS, iterations=ITERATIONS, warmup_rounds=WARMUP_ROUNDS)
        counted = variant.store == "redis" and run == 1
        commands = _redis_commands(send, monkeypatch) if counted else None
    if benchmark.stats is None:  # --benchmark-disable: nothing was timed
        return
    stats = benchmark.stats.stats
    RESULTS[variant.id, run] = Measurement(
        variant=variant,
        median=stats.median,
        mean=stats.mean,
        iqr=stats.iqr,
        requests=stats.rounds * ITERATIONS,
        commands=commands,
    )
