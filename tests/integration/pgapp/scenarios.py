"""Scenarios run in a child process: each returns facts as JSON for the test to assert on.

A test runs ``main(name, params)`` with ``tests.servers.run_python``; Django is
configured from the environment by ``tests.integration.pgapp.settings``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import django

from tests.servers import BackendPeak, admin_conn, backend_pids

if TYPE_CHECKING:
    from tests.integration.pgapp.client import WsgiClient

Scenario = Callable[..., dict[str, Any]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(function: Scenario) -> Scenario:
    """Register ``function`` under its name."""
    SCENARIOS[function.__name__] = function
    return function


def _dbname() -> str:
    from django.conf import settings

    return str(settings.DATABASES["default"]["NAME"])


def _client() -> WsgiClient:
    # Imported once Django is set up: the handler reads the settings.
    from tests.integration.pgapp.client import WsgiClient

    return WsgiClient()


@scenario
def migrate() -> dict[str, Any]:
    """Create the tables; return how many permissions exist."""
    from django.contrib.auth.models import Permission
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    return {"permissions": Permission.objects.count()}


@scenario
def consecutive(requests: int) -> dict[str, Any]:
    """Make ``requests`` requests one after the other."""
    client = _client()
    return {"answers": [client.get("/pid/") for _ in range(requests)]}


@scenario
def concurrent(threads: int, requests: int, sleep: float) -> dict[str, Any]:
    """Make ``requests`` requests from ``threads`` threads, each holding its connection.

    Meanwhile sample the backends of the database on the server; report the
    most seen at once.
    """
    client = _client()
    dbname = _dbname()
    answers: list[Any] = []
    todo = list(range(requests))
    lock = threading.Lock()
    start = threading.Barrier(threads + 1, timeout=10)

    def work() -> None:
        start.wait()
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            answer = client.get(f"/pid/?sleep={sleep}")
            with lock:
                answers.append(answer)

    with BackendPeak(dbname) as peak:
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        start.wait()
        for worker in workers:
            worker.join()
    return {
        "answers": answers,
        "peak_backends": peak.value,
        "backends_after": len(backend_pids(dbname)),
    }


@scenario
def exhaustion(holders: int) -> dict[str, Any]:
    """Hold ``holders`` connections in other threads; request; release them; request again."""
    from django.db import connection

    client = _client()
    ready = threading.Barrier(holders + 1, timeout=30)
    release = threading.Event()
    held: list[int] = []

    def hold() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            held.append(cursor.fetchone()[0])
        ready.wait()
        release.wait(timeout=30)
        connection.close()  # gives the connection back to the pool

    threads = [threading.Thread(target=hold) for _ in range(holders)]
    for thread in threads:
        thread.start()
    ready.wait()
    blocked = client.get("/pid/")
    release.set()
    for thread in threads:
        thread.join()
    return {"held": held, "blocked": blocked, "after": client.get("/pid/")}


def _terminate_all(dbname: str) -> list[int]:
    """Terminate every backend of ``dbname``; return once the server lists none of them."""
    pids = sorted(backend_pids(dbname))
    with admin_conn() as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    deadline = time.monotonic() + 10
    while backend_pids(dbname) & set(pids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"backends {pids} still exist 10 s after pg_terminate_backend")
        time.sleep(0.01)
    return pids


@scenario
def terminated(before: int, after: int) -> dict[str, Any]:
    """Make requests, terminate every backend of the database, make requests again."""
    client = _client()
    answers_before = [client.get("/pid/") for _ in range(before)]
    pids = _terminate_all(_dbname())
    answers_after = [client.get("/pid/") for _ in range(after)]
    return {"before": answers_before, "terminated": pids, "after": answers_after}


@scenario
def pooler_sensitive(chunk_size: int, times: int) -> dict[str, Any]:
    """Stream a queryset with ``iterator()``; then run one query ``times`` times."""
    client = _client()
    return {
        "iterate": client.get(f"/iterate/?chunk_size={chunk_size}"),
        "repeat": client.get(f"/repeat/?times={times}"),
    }


def main(name: str, params: dict[str, Any]) -> None:
    """Set Django up, run scenario ``name`` and print its facts as one JSON line."""
    django.setup()
    from django.db import connections

    try:
        result = SCENARIOS[name](**params)
    finally:
        for conn in connections.all():
            conn.close()
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                close_pool()
    print(json.dumps(result))
