"""prodready.serving in process: the bounds on waiting requests and on slow readers."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from prodready import serving
from prodready.serving import Handler
from tests.asgi_request import asgi_get

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


async def thread_name(request: HttpRequest) -> HttpResponse:
    # The thread a thread-sensitive call of this request runs in (the ORM's async API's).
    name = await sync_to_async(lambda: threading.current_thread().name)()
    return HttpResponse(name)


_async_gate = asyncio.Event()


async def held_thread_name(request: HttpRequest) -> HttpResponse:
    name = await sync_to_async(lambda: threading.current_thread().name)()
    await _async_gate.wait()
    return HttpResponse(name)


urlpatterns = [
    path("blocked/", blocked),
    path("endless/", endless),
    path("thread/", thread_name),
    path("held-thread/", held_thread_name),
]


async def _get(
    handler: Handler, target: str, *, stalls_after: int | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    answer = await asgi_get(handler, target, stalls_after=stalls_after)
    return answer.status, dict(answer.headers), answer.body


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
    # Answered before any middleware: it still carries the OWASP REST headers.
    assert refused[1][b"Cache-Control"] == b"no-store"
    assert refused[1][b"X-Content-Type-Options"] == b"nosniff"
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


@override_settings(ROOT_URLCONF=__name__)
def test_async_requests_reuse_the_thread_lent_for_their_thread_sensitive_calls() -> None:
    # Django's handler starts a new thread per async request; here one is lent again.
    handler = Handler(threads=1)

    async def scenario() -> list[bytes]:
        return [(await _get(handler, "/thread/"))[2] for _ in range(20)]

    try:
        names = asyncio.run(scenario())
    finally:
        handler.close()
    assert len(set(names)) == 1
    assert names[0].startswith(b"prodready-async")


@override_settings(ROOT_URLCONF=__name__)
def test_concurrent_async_requests_each_get_their_own_thread_and_the_idle_are_bounded() -> None:
    handler = Handler(threads=1)
    idle = handler._lent.idle
    _async_gate.clear()

    async def scenario() -> list[bytes]:
        global _async_gate
        _async_gate = asyncio.Event()  # bound to this run's loop
        tasks = [asyncio.create_task(_get(handler, "/held-thread/")) for _ in range(idle + 4)]
        await asyncio.sleep(0.5)
        _async_gate.set()
        return [(await task)[2] for task in tasks]

    try:
        names = asyncio.run(scenario())
        kept = len(handler._lent._free)
    finally:
        handler.close()
    assert len(set(names)) == idle + 4  # one thread per request in flight, none shared
    assert kept == idle  # the rest were shut down


@override_settings(ROOT_URLCONF=__name__)
def test_a_cancelled_async_request_does_not_lend_its_thread_again() -> None:
    handler = Handler(threads=1)

    async def scenario() -> tuple[bytes, bytes]:
        global _async_gate
        _async_gate = asyncio.Event()
        first = (await _get(handler, "/thread/"))[2]
        cancelled = asyncio.create_task(_get(handler, "/held-thread/"))
        await asyncio.sleep(0.3)
        cancelled.cancel()
        await asyncio.gather(cancelled, return_exceptions=True)
        return first, (await _get(handler, "/thread/"))[2]

    try:
        first, after = asyncio.run(scenario())
    finally:
        handler.close()
    assert after.startswith(b"prodready-async")
    assert first != after  # the cancelled request's thread (the first's, lent again) is gone
