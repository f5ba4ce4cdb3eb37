"""prodready.serving in process: the bounds on waiting requests and on slow readers."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from prodready import serving
from prodready.serving import Handler

_gate = threading.Event()


def blocked(request: HttpRequest) -> HttpResponse:
    _gate.wait(30)
    return HttpResponse("done")


_closed = threading.Event()


def endless(request: HttpRequest) -> StreamingHttpResponse:
    def lines() -> Iterator[bytes]:
        try:
            while True:
                yield b"x" * 1024
        finally:
            _closed.set()

    return StreamingHttpResponse(lines())


urlpatterns = [path("blocked/", blocked), path("endless/", endless)]


async def _get(
    handler: Handler, target: str, *, stalls_after: int | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "http.request", "body": b"", "more_body": False}])
    never = asyncio.get_running_loop().create_future()  # the client never hangs up

    async def receive() -> dict[str, Any]:
        message = next(messages, None)
        return message if message is not None else await never

    async def send(message: dict[str, Any]) -> None:
        if stalls_after is not None and len(sent) >= stalls_after:
            await never  # a client that stops reading: the server's send never returns
        sent.append(message)

    await handler(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


@override_settings(ROOT_URLCONF=__name__)
def test_past_the_queue_bound_requests_get_503_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "QUEUE_PER_THREAD", 1)
    handler = Handler(threads=1)
    _gate.clear()

    async def scenario() -> list[tuple[int, dict[bytes, bytes], bytes]]:
        running = asyncio.create_task(_get(handler, "/blocked/"))  # holds the only thread
        waiting = asyncio.create_task(_get(handler, "/blocked/"))  # the one allowed to wait
        for _ in range(1000):
            if handler._inflight == 2:
                break
            await asyncio.sleep(0.01)
        refused = await _get(handler, "/blocked/")
        _gate.set()
        return [refused, await running, await waiting]

    try:
        refused, running, waiting = asyncio.run(scenario())
    finally:
        _gate.set()
        handler.close()
    assert refused[0] == 503
    assert refused[1][b"Retry-After"] == b"1"
    assert json.loads(refused[2])["error"] == "busy"
    assert (running[0], running[2]) == (200, b"done")
    assert (waiting[0], waiting[2]) == (200, b"done")


@override_settings(ROOT_URLCONF=__name__)
def test_a_client_that_stops_reading_a_stream_frees_its_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "STREAM_SEND_TIMEOUT", 0.5)
    handler = Handler(threads=1)
    _closed.clear()
    try:
        status, _, body = asyncio.run(_get(handler, "/endless/", stalls_after=3))
    finally:
        handler.close()
    assert status == 200
    assert len(body) == 2 * 1024  # two chunks read, then nothing
    assert _closed.is_set()  # the generator was closed: the thread moved on
