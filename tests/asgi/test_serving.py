"""Under real uvicorn: prodready.serving runs a sync request whole in one worker thread.

Each test serves the test project (``tests/asgi/project``, views in its
``serving.py``) through ``prodready.asgi`` with lifespan on, on a database of
its own with the native pool. Views that must wait for the test wait for a
gate file that the test creates.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import global_settings

from tests.asgi.served import (
    STOPPED,
    Served,
    assert_clean,
    connection,
    get,
    project_env,
    request,
    uvicorn,
    wait_until,
)
from tests.servers import BackendPeak, admin_conn, backend_pids, database_url

pytestmark = pytest.mark.integration

MAX_SIZE = 2  # DB_POOL_MAX_SIZE, and so ASGI_THREADS unless a test sets it
WORKER_THREAD = "prodready-django"
POOL_CLOSED = re.compile(
    r"Closing the connection pool of database 'default': (\d+) connection\(s\), (\d+) lent"
)


def _env(database: str, **overrides: str) -> dict[str, str]:
    return project_env(
        database_url(database), DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE=str(MAX_SIZE), **overrides
    )


def _gated(path: str, gate: Path, wait: float = 30, **params: str) -> str:
    return f"{path}?{urlencode({'gate': str(gate), 'wait': wait, **params})}"


def _counters(served: Served) -> dict[str, int]:
    # An async view: it answers even while every worker thread is busy.
    counters: dict[str, int] = get(served.url + "/counters/").json
    return counters


def _lent(served: Served) -> int:
    stats = get(served.url + "/pool/").json["stats"]
    return int(stats["pool_size"]) - int(stats["pool_available"])


def _burst(served: Served, requests: int = 3 * MAX_SIZE) -> list[int]:
    """Send ``requests`` concurrent queries; return their statuses."""
    with ThreadPoolExecutor(requests) as pool:
        answers = list(pool.map(lambda _: get(served.url + "/pid/?sleep=0.05"), range(requests)))
    return [answer.status for answer in answers]


def _multipart(boundary: str, payload: bytes) -> bytes:
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="blob.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + payload + f"\r\n--{boundary}--\r\n".encode()


def test_a_large_upload_reaches_a_sync_view_intact(database: str) -> None:
    # Past FILE_UPLOAD_MAX_MEMORY_SIZE the body is spooled to disk, and so is the file.
    payload = random.Random(7).randbytes(global_settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 300_001)
    boundary = uuid.uuid4().hex
    # A multipart file does not count towards DATA_UPLOAD_MAX_MEMORY_SIZE; a form field does.
    limit = global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    with uvicorn(_env(database)) as served:
        upload = request(
            served.url + "/upload/",
            "POST",
            _multipart(boundary, payload),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        at_limit = request(served.url + "/form/", "POST", b"a=" + b"x" * (limit - 2), form)
        over_limit = request(served.url + "/form/", "POST", b"a=" + b"x" * (limit - 1), form)

    assert upload.status == 200
    assert upload.json == {
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "on_disk": True,
    }
    assert at_limit.status == 200
    assert at_limit.json == {"fields": 1}
    # What django.core.handlers.asgi.ASGIHandler answers too: the view's request.POST
    # raises RequestDataTooBig, a SuspiciousOperation, which Django turns into a 400.
    assert over_limit.status == 400


def test_a_sync_stream_is_sent_chunk_by_chunk_from_the_views_thread(
    database: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"

    # The view waits for the gate longer than the client waits for a line: a
    # server that buffered the stream would send nothing and the read time out.
    with uvicorn(_env(database)) as served, connection(served.url, timeout=30) as conn:
        conn.request("GET", _gated("/stream/", gate, wait=60))
        response = conn.getresponse()
        first = response.readline().decode()
        gate.touch()  # only now can the generator go on
        last = response.readline().decode()
        rest = response.read()

    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    view = re.fullmatch(r"first view=(\d+) name=(\S+)\n", first)
    assert view is not None, first
    assert view[2].startswith(WORKER_THREAD)
    # The generator ran in the thread of the view, and after the gate was opened.
    assert last == f"last generator={view[1]} released=True\n"
    assert rest == b""


def test_a_file_response_from_a_sync_view_arrives_whole(database: str, tmp_path: Path) -> None:
    payload = random.Random(11).randbytes(5 * 2**20 + 17)  # many of the handler's 64 KiB chunks
    sent = tmp_path / "blob.bin"
    sent.write_bytes(payload)

    with uvicorn(_env(database)) as served:
        answer = get(served.url + f"/download/?{urlencode({'path': str(sent)})}")

    assert answer.status == 200
    assert answer.headers["content-length"] == str(len(payload))
    assert answer.body == payload


def test_a_client_hanging_up_on_a_waiting_sync_view_leaves_the_pool_idle(
    database: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"

    with uvicorn(_env(database)) as served:
        with connection(served.url) as conn:
            conn.request("GET", _gated("/gate/", gate, query="1"))
            wait_until(lambda: _counters(served).get("gate_entered") == 1, "the view waits")
        # The client is gone; the view goes on, queries and its answer is dropped.
        gate.touch()
        wait_until(lambda: _counters(served).get("gate_left") == 1, "the view finished")
        queried = _counters(served).get("gate_queried")
        backends_after, burst, log = _settle_and_stop(served, database)

    assert queried == 1
    assert backends_after <= MAX_SIZE
    assert burst == [200] * 3 * MAX_SIZE
    assert log.count(STOPPED) == 1
    assert [lent for _, lent in POOL_CLOSED.findall(log)] == ["0"]
    assert_clean(log)


def _settle_and_stop(served: Served, database: str) -> tuple[int, list[int], str]:
    """Wait for the pool to have every connection back; count backends; burst; stop; log."""
    wait_until(lambda: _lent(served) == 0, "every connection back in the pool")
    backends_after = len(backend_pids(database))
    burst = _burst(served)
    served.sigterm()
    served.wait_exit(timeout=30)
    return backends_after, burst, served.text()


def test_a_client_hanging_up_on_an_endless_sync_stream_stops_its_generator(
    database: str,
) -> None:
    with uvicorn(_env(database)) as served:
        with connection(served.url) as conn:
            conn.request("GET", "/endless/")
            response = conn.getresponse()
            lines = {response.readline() for _ in range(5)}
            response.close()
        wait_until(lambda: _counters(served).get("endless_stopped") == 1, "the generator stopped")
        backends_after, burst, log = _settle_and_stop(served, database)

    # Every line came from one connection: the generator's, held in its thread.
    assert len(lines) == 1
    assert re.fullmatch(rb"backend=\d+\n", lines.pop())
    assert backends_after <= MAX_SIZE
    assert burst == [200] * 3 * MAX_SIZE
    assert [lent for _, lent in POOL_CLOSED.findall(log)] == ["0"]
    assert_clean(log)


def test_a_thousand_sync_requests_open_no_more_connections_than_the_pools_hold(
    database: str,
) -> None:
    workers = 2
    with uvicorn(_env(database), workers=workers) as served:
        with BackendPeak(database) as peak, ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: get(served.url + "/pid/"), range(1000)))
        served.sigterm()
        served.wait_exit(timeout=30)
        log = served.text()
    wait_until(lambda: not backend_pids(database), "every session ended")
    backends = {answer.json["backend"] for answer in answers}

    def sessions() -> int:
        with admin_conn() as conn:
            row = conn.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)
            ).fetchone()
        assert row is not None
        return int(str(row[0]))

    # The statistics reach pg_stat_database shortly after the sessions end.
    wait_until(lambda: sessions() >= len(backends), "the sessions are counted")

    assert [answer.status for answer in answers] == [200] * 1000
    assert peak.value <= MAX_SIZE * workers
    assert sessions() <= MAX_SIZE * workers
    closed = [(int(size), int(lent)) for size, lent in POOL_CLOSED.findall(log)]
    assert len(closed) == workers
    assert all(size <= MAX_SIZE and lent == 0 for size, lent in closed)
    assert_clean(log)


def test_an_async_view_runs_on_the_event_loop_and_a_sync_view_in_a_worker_thread(
    database: str,
) -> None:
    with admin_conn(database) as conn:
        conn.execute("CREATE TABLE served_item (id bigserial PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO served_item (name) VALUES ('a'), ('b'), ('c')")

    with uvicorn(_env(database)) as served:
        items = get(served.url + "/items/")
        sync = get(served.url + "/where/")

    assert items.status == 200
    assert items.json["count"] == 3
    assert items.json["names"] == ["a", "b", "c"]
    assert items.json["chain"] == "async"
    assert items.json["main"] is True
    assert sync.status == 200
    assert sync.json["chain"] == "sync"
    assert sync.json["main"] is False
    assert sync.json["thread"].startswith(WORKER_THREAD)


def test_request_signals_fire_once_per_sync_request_before_its_answer(database: str) -> None:
    with uvicorn(_env(database)) as served:
        seen = [get(served.url + "/signals/").json for _ in range(5)]
    counted = [(c.get("request_started", 0), c.get("request_finished", 0)) for c in seen]

    # The n-th request of a fresh process sees its own request_started and the
    # request_finished of each request before it (fired before its answer was sent).
    assert counted == [(n, n - 1) for n in range(1, 6)]


def test_root_path_is_in_request_path_and_reverse_and_not_in_path_info(database: str) -> None:
    with uvicorn(_env(database), extra=("--root-path", "/prefix")) as served:
        sync = get(served.url + "/where/").json
        asynchronous = get(served.url + "/where-async/").json

    assert sync["path"] == "/prefix/where/"
    assert sync["path_info"] == "/where/"
    assert sync["reversed"] == "/prefix/where/"
    assert sync["chain"] == "sync"
    assert sync["thread"].startswith(WORKER_THREAD)
    assert asynchronous["path"] == "/prefix/where-async/"
    assert asynchronous["path_info"] == "/where-async/"
    assert asynchronous["reversed"] == "/prefix/where-async/"
    # Routed by the path below the prefix: the async view kept the async path.
    assert asynchronous["chain"] == "async"
    assert asynchronous["main"] is True


def test_async_to_sync_in_a_sync_view_runs_on_the_servers_event_loop(database: str) -> None:
    with uvicorn(_env(database)) as served:
        hop = get(served.url + "/hop/").json
        loop = get(served.url + "/where-async/").json["loop"]

    assert hop["view"]["chain"] == "sync"
    assert hop["view"]["thread"].startswith(WORKER_THREAD)
    assert hop["coroutine"]["main"] is True
    assert hop["coroutine"]["loop"] == loop


def test_an_exception_in_a_sync_view_is_a_500_logged_and_not_shown(database: str) -> None:
    with uvicorn(_env(database)) as served:
        failed = get(served.url + "/boom/")
        served.wait_logged("RuntimeError: boom-7f3a")
        after = get(served.url + "/where/")
        log = served.text()

    assert failed.status == 500
    assert b"Server Error (500)" in failed.body  # Django's own page, DEBUG off
    for text in (b"boom-7f3a", b"RuntimeError", b"Traceback"):
        assert text not in failed.body
    assert "ERROR django.request Internal Server Error: /boom/" in log
    assert "Traceback (most recent call last):" in log
    assert after.status == 200


def test_liveness_answers_while_every_worker_thread_is_busy(database: str, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    # The views wait for the gate longer than the probe's client waits for its answer.
    held_path = _gated("/gate/", gate, wait=60)

    with uvicorn(_env(database, ASGI_THREADS="2")) as served, ThreadPoolExecutor(2) as pool:
        held = [pool.submit(get, served.url + held_path, None, 90) for _ in range(2)]
        wait_until(lambda: _counters(served).get("gate_entered") == 2, "both threads busy")
        liveness = get(served.url + "/api/liveness/", timeout=30)
        slashless = get(served.url + "/api/liveness", timeout=30)  # a probe written so
        left = _counters(served).get("gate_left", 0)
        answered = [future.done() for future in held]
        gate.touch()
        released = [future.result(timeout=90) for future in held]

    assert liveness.status == 200
    assert slashless.status == 200
    # Both views were still waiting after the probe had its answer.
    assert left == 0
    assert answered == [False, False]
    assert [answer.json["released"] for answer in released] == [True, True]
    threads = {answer.json["thread"] for answer in released}
    assert len(threads) == 2
    assert all(name.startswith(WORKER_THREAD) for name in threads)
