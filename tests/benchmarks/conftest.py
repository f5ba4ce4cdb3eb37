"""Benchmark fixtures: a Redis database of their own, and the summary after the run.

Files here are named ``bench_*.py`` so that the default test run does not
collect them; docs/benchmarks.md gives the command that does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.benchmarks.variants import KEY_PREFIX, REDIS_URL

SUMMARY_PATH = Path(os.environ.get("PRODREADY_BENCH_SUMMARY", ".benchmarks/summary.md"))


def _delete_bench_keys(client: redis.Redis) -> None:
    keys = list(client.scan_iter(f"{KEY_PREFIX}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


@pytest.fixture(scope="session")
def bench_redis() -> Iterator[redis.Redis | None]:
    """The benchmarks' Redis database, without their keys before and after; None if down."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        yield None
        return
    _delete_bench_keys(client)
    yield client
    _delete_bench_keys(client)
    client.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the overhead table and write it to ``SUMMARY_PATH`` (after a benchmark run)."""
    from tests.benchmarks.summary import RESULTS, render

    if not RESULTS:
        return
    text = render()
    terminalreporter.section("prodready benchmark summary")
    terminalreporter.write(text)
    SUMMARY_PATH.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY_PATH.write_text(text, encoding="utf-8")
    terminalreporter.write_line(f"written to {SUMMARY_PATH}")
