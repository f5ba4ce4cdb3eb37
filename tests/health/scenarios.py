"""Check-level scenarios run in a child process configured by its environment (demo.settings).

A test runs ``main(name, params)`` with ``tests.servers.run_python``; each
scenario returns facts as JSON for the test to assert on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import django

Scenario = Callable[..., dict[str, Any]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(function: Scenario) -> Scenario:
    """Register ``function`` under its name."""
    SCENARIOS[function.__name__] = function
    return function


def _run(checks: list[Any], budget: float) -> list[dict[str, Any]]:
    from prodready.health.runner import run_checks

    results = asyncio.run(run_checks(checks, budget))
    return [
        {**asdict(result), "observed_at": None, "seconds": result.seconds} for result in results
    ]


def _lanes() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("prodready-health-"))


def _pool() -> Any:
    from django.db import connections

    return connections["default"].pool


def _settled(pool: Any, seconds: float = 10) -> dict[str, int]:
    """Return the pool's statistics once every connection it has is idle (or time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        stats: dict[str, int] = pool.get_stats()
        if stats.get("pool_available", 0) == stats.get("pool_size", 0):
            return stats
        if time.monotonic() > deadline:
            return stats
        time.sleep(0.05)


@scenario
def pooled() -> dict[str, Any]:
    """Run the database check twice on the native pool; report results and pool stats."""
    from prodready.health import DatabaseCheck

    check = DatabaseCheck()
    first = _run([check], 0.75)
    second = _run([check], 0.75)
    stats = _settled(_pool())
    return {"results": first + second, "stats": stats, "lanes": _lanes()}


@scenario
def exhausted() -> dict[str, Any]:
    """Hold every pooled connection, then run the database check."""
    from prodready.health import DatabaseCheck

    pool = _pool()
    pool.open(wait=True)
    held = [pool.getconn() for _ in range(pool.max_size)]
    try:
        result = _run([DatabaseCheck()], 0.75)
    finally:
        for conn in held:
            pool.putconn(conn)
    return {"results": result}


@scenario
def stopped_backend() -> dict[str, Any]:
    """SIGSTOP the pool's only backend: the check times out, holds one connection, gives it back."""
    from prodready.health import DatabaseCheck

    pool = _pool()
    pool.open(wait=True)
    with pool.connection() as conn:
        pid = conn.info.backend_pid
    check = DatabaseCheck()
    os.kill(pid, signal.SIGSTOP)
    try:
        during = [_run([check], 0.5) for _ in range(3)]
        lanes_during = _lanes()
        stats_during = pool.get_stats()
    finally:
        os.kill(pid, signal.SIGCONT)
    return {
        "during": [result[0]["status"] for result in during],
        "lanes": lanes_during,
        "stats_during": stats_during,
        "stats_after": _settled(pool),
        "after": _run([check], 0.75),
    }


@scenario
def hung(probes: int) -> dict[str, Any]:
    """Run the database check ``probes`` times against a server that never answers."""
    from prodready.health import DatabaseCheck

    check = DatabaseCheck()
    statuses = []
    lanes = set()
    for _ in range(probes):
        statuses.append(_run([check], 0.3)[0]["status"])
        lanes.update(_lanes())
        time.sleep(0.05)
    return {"statuses": statuses, "lanes": sorted(lanes), "threads": threading.active_count()}


@scenario
def checks(names: list[str], budget: float = 0.75) -> dict[str, Any]:
    """Run the named built-in checks with their default arguments once."""
    import prodready.health as health

    return {"results": _run([getattr(health, name)() for name in names], budget)}


@scenario
def migrate_then_check() -> dict[str, Any]:
    """Run the migrations check on an empty database, migrate, run it again."""
    from django.core.management import call_command

    from prodready.health import MigrationsCheck

    check = MigrationsCheck()
    before = _run([check], 5)
    call_command("migrate", verbosity=0, interactive=False)
    after = _run([check], 5)
    return {"before": before, "after": after}


@scenario
def migrations_with_the_pool_exhausted() -> dict[str, Any]:
    """Hold every pooled connection, then run the migrations check for the first time.

    Its budget (5 s) is below DB_POOL_TIMEOUT: a check that waited on the pool times out.
    """
    from prodready.health import MigrationsCheck

    pool = _pool()
    pool.open(wait=True)
    held = [pool.getconn() for _ in range(pool.max_size)]
    try:
        result = _run([MigrationsCheck()], 5)
        waiting = pool.get_stats().get("requests_waiting", 0)
    finally:
        for conn in held:
            pool.putconn(conn)
    return {"results": result, "requests_waiting": waiting}


@scenario
def items_estimate() -> dict[str, Any]:
    """Read items_in_db before and after ANALYZE, and again from the cache."""
    from django.db import connection

    from demo.catalog import health

    before = health.items_in_db()
    health.reset()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_copyrightitem")
    connection.close()
    estimated = health.items_in_db()
    return {"before": before, "estimated": estimated, "cached": health.items_in_db()}


def main(name: str, params: dict[str, Any]) -> None:
    """Set Django up, run scenario ``name`` and print its facts as one JSON line."""
    django.setup()
    result = SCENARIOS[name](**params)
    print(json.dumps(result, default=str))
