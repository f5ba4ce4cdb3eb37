"""What gunicorn ``--preload`` with uvicorn workers does, in one child process.

The parent imports the application, runs a query (its pool opens, a
connection stays checked out), then forks two workers that serve the same
application with lifespan on, each on a port of its own. It asks each worker
which backends serve it, stops them, queries again on its own connection,
and prints the facts as one JSON line.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from typing import Any

WORKERS = 2
REQUESTS = 6


def _backend(connection: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _serve(application: Any, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(application, lifespan="on", log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _ask(port: int, path: str) -> dict[str, Any]:
    from tests.asgi.served import get

    deadline = time.monotonic() + 30
    while True:
        try:
            return get(f"http://127.0.0.1:{port}{path}").json
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> None:
    """Run the scenario; print its facts."""
    from django.db import connection

    from tests.asgi.project.asgi import application
    from tests.servers import backend_pids

    dbname = str(connection.settings_dict["NAME"])
    connection.pool.open()
    connection.pool.wait(timeout=30)  # DB_POOL_MIN_SIZE connections, all open
    parent_backend = _backend(connection)  # checked out of the pool, kept across the fork
    before_fork = sorted(backend_pids(dbname))
    workers: dict[int, int] = {}
    for _ in range(WORKERS):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        pid = os.fork()
        if pid == 0:
            try:
                _serve(application, sock)
            finally:
                os._exit(0)
        workers[pid] = sock.getsockname()[1]
        sock.close()
    served = {
        str(pid): [_ask(port, "/pid/") for _ in range(REQUESTS)] for pid, port in workers.items()
    }
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
    for pid in workers:
        os.waitpid(pid, 0)
    # The workers have closed their pools: had they closed the inherited ones,
    # this connection would be gone.
    parent_after = _backend(connection)
    connection.close()
    connection.close_pool()
    print(
        json.dumps(
            {
                "parent_backend": parent_backend,
                "parent_after": parent_after,
                "before_fork": before_fork,
                "served": served,
            }
        )
    )
