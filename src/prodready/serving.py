"""Serve synchronous Django under ASGI with one thread hop per request.

Django's ``ASGIHandler`` runs a synchronous view and each synchronous
middleware method through ``sync_to_async``: about eight thread hops per
request, each on the event loop's clock, which costs more CPU than the
request's own queries and lags the loop that probes and the rate limiter rely
on. :class:`Handler` keeps Django's handler for requests whose view is
asynchronous, and runs every other request whole in one call to a bounded pool
of worker threads:

- on the event loop: read the body (spooled to disk past
  ``FILE_UPLOAD_MAX_MEMORY_SIZE``, as Django does), build the request, pick
  the path from the URL's view (cached per path), write the response;
- in one worker thread: ``request_started``, the synchronous middleware chain
  and the view (Django's ``WSGIHandler`` chain), and ``response.close()``
  (``request_finished``: database connections go back to the pool in the
  thread that used them). A streaming response with a synchronous iterator is
  iterated in that same thread, chunk by chunk, each chunk handed to the loop
  (no buffering, and the view's connection or cursor stays in its thread);
  a client that disconnects stops the iteration.

Differences from Django's handler: a synchronous view is not interrupted when
its client disconnects (its response is dropped and closed, as under a WSGI
server), and a request whose client hangs up while it waits for a thread is
not run at all; requests wait for a free thread (up to
:data:`QUEUE_PER_THREAD` per thread, then 503 with ``Retry-After: 1``); a
synchronous stream holds its thread while it is sent, and is closed when its
client reads nothing for :data:`STREAM_SEND_TIMEOUT` seconds;
``async_to_sync`` inside a sync view runs its coroutine on the server's event
loop, as under Django.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, iscoroutinefunction
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve, set_script_prefix

from prodready.headers import add_security_headers

logger = logging.getLogger("prodready.serving")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
# The server's send: typed loosely, as django-stubs and asyncio type it differently.
Send = Any

#: Requests that may wait for a worker thread, per thread, before 503s.
QUEUE_PER_THREAD = 100
#: Seconds a streamed chunk may wait for the client to read before the stream is closed.
STREAM_SEND_TIMEOUT = 30
#: Threads kept for async requests' thread-sensitive calls, at least (per process).
MIN_IDLE_LENT_THREADS = 16
# Paths whose route (sync or async) is remembered; longer paths are scans.
_MAX_ROUTES = 4096
_MAX_CACHED_PATH = 512


def _is_async_view(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False  # answered by the sync chain (404, or APPEND_SLASH's redirect)
    except Exception:  # a broken URLconf is the chain's to report, as a 500
        return False
    return iscoroutinefunction(match.func)


def _path_info(scope: MutableMapping[str, Any]) -> str:
    # As ASGIRequest works it out: the path below the script prefix.
    path: str = scope["path"]
    root: str = scope.get("root_path", "") or ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


def _start_message(response: HttpResponseBase) -> Message:
    # As Django's ASGIHandler.send_response writes it.
    headers = []
    for header, value in response.items():
        name = header.encode("ascii") if isinstance(header, str) else header
        data = value.encode("latin1") if isinstance(value, str) else value
        headers.append((bytes(name), bytes(data)))
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.OutputString().encode("ascii")))
    return {"type": "http.response.start", "status": response.status_code, "headers": headers}


class Handler(ASGIHandler):
    """Django's ASGI handler with a one-hop path for synchronous views.

    Args:
        threads: Worker threads (per process) that run synchronous requests.
    """

    def __init__(self, threads: int) -> None:
        super().__init__()  # the async chain, for async views
        self._sync = BaseHandler()
        self._sync.load_middleware(is_async=False)
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="prodready-django")
        self._respond = SyncToAsync(self._serve, thread_sensitive=False, executor=self._pool)
        self._close = SyncToAsync(_close, thread_sensitive=False, executor=self._pool)
        self._refused = SyncToAsync(
            self._started_and_closed, thread_sensitive=False, executor=self._pool
        )
        self._lent = LentThreads(idle=max(threads, MIN_IDLE_LENT_THREADS))
        self._routes: dict[tuple[str, str], bool] = {}
        self._inflight = 0  # sync requests submitted and not finished (event loop only)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Serve one HTTP request."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self._async_route(_path_info(scope)):
            await self._handle_async(scope, receive, send)
            return
        await self._handle_sync(scope, receive, send)

    async def _handle_async(self, scope: Any, receive: Receive, send: Send) -> None:
        # Django's path, with the request's thread-sensitive code (sync middleware,
        # the ORM's async API) on a thread lent for the request, not a new one.
        executor = self._lent.borrow()
        finished = False
        try:
            async with ThreadSensitiveContext(executor=executor):
                await super().handle(scope, receive, send)
            finished = True
        finally:
            self._lent.give_back(executor, reusable=finished)

    def _async_route(self, path: str) -> bool:
        # Keyed by the root URLconf too: tests swap it with override_settings.
        key = (settings.ROOT_URLCONF, path)
        routes = self._routes
        found = routes.get(key)
        if found is None:
            found = _is_async_view(path)
            if len(path) <= _MAX_CACHED_PATH:
                if len(routes) >= _MAX_ROUTES:
                    routes.clear()
                routes[key] = found
        return found

    async def _handle_sync(self, scope: Any, receive: Receive, send: Send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            set_script_prefix(get_script_prefix(scope))
            request, error_response = self.create_request(scope, body_file)
            if request is None:
                if error_response is not None:  # 400 or 413, built by Django
                    await self.send_response(error_response, send)
                    await self._refused(scope, error_response)
                return
            if self._inflight >= self.threads * (1 + QUEUE_PER_THREAD):
                await self._busy(send)
                return
            disconnected = threading.Event()
            listener = asyncio.create_task(self._listen(receive, disconnected))
            self._inflight += 1
            try:
                loop = asyncio.get_running_loop()
                response = await self._respond(scope, request, send, loop, disconnected)
                if response is not None:
                    await self._send(response, send)
            finally:
                self._inflight -= 1
                listener.cancel()
                disconnected.set()  # cancelled (shutdown timeout): an endless stream stops too

    async def _send(self, response: HttpResponseBase, send: Send) -> None:
        try:
            await self.send_response(response, send)
        finally:
            if response.streaming:  # an async iterator; the others were closed in their thread
                await self._close(response)

    async def _listen(self, receive: Receive, disconnected: threading.Event) -> None:
        message = await receive()
        if message["type"] == "http.disconnect":
            disconnected.set()

    async def _busy(self, send: Send) -> None:
        logger.warning(
            "All %d worker threads busy and the queue full: answering 503.", self.threads
        )
        response = JsonResponse(
            {"error": "busy", "detail": "The server is busy; retry shortly.", "retry_after": 1},
            status=503,
        )
        response["Retry-After"] = "1"
        # Answered before the middleware: the headers it would have added.
        add_security_headers(response, secure=False)
        await self.send_response(response, send)

    def _serve(
        self,
        scope: Any,
        request: Any,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        disconnected: threading.Event,
    ) -> HttpResponseBase | None:
        # In a worker thread: everything of a request that is synchronous.
        if disconnected.is_set():
            return None  # the client gave up while the request waited for a thread
        signals.request_started.send(sender=self.__class__, scope=scope)
        response = self._sync.get_response(request)
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # request_finished here, in the thread that used the connections
            return response
        if response.is_async:  # type: ignore[attr-defined]
            return response
        try:
            self._stream(response, send, loop, disconnected)
        finally:
            response.close()
        return None

    def _stream(
        self,
        response: Any,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        disconnected: threading.Event,
    ) -> None:
        def put(message: Message) -> None:
            # Waits until the loop has written it: the client's pace sets the stream's,
            # within a bound, so that a client that stops reading frees the thread.
            future = asyncio.run_coroutine_threadsafe(send(message), loop)
            try:
                future.result(STREAM_SEND_TIMEOUT)
            except TimeoutError:
                future.cancel()
                disconnected.set()
                logger.warning(
                    "A streamed response's client read nothing for %d s; the stream was closed.",
                    STREAM_SEND_TIMEOUT,
                )

        put(_start_message(response))
        for part in response.streaming_content:
            for chunk, _ in self.chunk_bytes(part):
                if disconnected.is_set():
                    return
                put({"type": "http.response.body", "body": chunk, "more_body": True})
        if not disconnected.is_set():
            put({"type": "http.response.body"})

    def _started_and_closed(self, scope: Any, response: HttpResponseBase) -> None:
        # A request Django refused while reading it (400, 413): its signals, as Django sends them.
        signals.request_started.send(sender=self.__class__, scope=scope)
        response.close()

    def close(self) -> None:
        """Stop the worker threads once their requests are done (at shutdown)."""
        self._pool.shutdown(wait=False)
        self._lent.close()


class LentThreads:
    """Single-thread executors lent to async requests for their thread-sensitive calls.

    Django's handler gives each async request a new thread for its thread-sensitive
    code, and a second one to join it afterwards. Here a request borrows one that an
    earlier request finished with; one whose request did not finish normally (an
    error, a cancellation: its thread may still be busy) is shut down instead of
    lent again. At most ``idle`` are kept while unused.

    Args:
        idle: Executors kept for reuse.
    """

    def __init__(self, idle: int) -> None:
        self.idle = idle
        self._free: list[ThreadPoolExecutor] = []
        self._closed = False
        self._started = itertools.count(1)

    def borrow(self) -> ThreadPoolExecutor:
        """An executor with one thread, idle, for one request."""
        if self._free:
            return self._free.pop()
        return ThreadPoolExecutor(1, thread_name_prefix=f"prodready-async-{next(self._started)}")

    def give_back(self, executor: ThreadPoolExecutor, *, reusable: bool) -> None:
        """Keep ``executor`` for the next request, or shut it down."""
        if reusable and not self._closed and len(self._free) < self.idle:
            self._free.append(executor)
        else:
            executor.shutdown(wait=False)  # its thread ends once its call returns

    def close(self) -> None:
        """Shut down every idle executor (at shutdown)."""
        self._closed = True
        while self._free:
            self._free.pop().shutdown(wait=False)


def _close(response: HttpResponseBase) -> None:
    response.close()
