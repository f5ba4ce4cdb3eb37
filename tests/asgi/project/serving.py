"""Views that show how ``prodready.serving`` runs them: which thread, what it streams, when.

Views that must wait for the test wait for a *gate*: a file whose path is in
the query string, which the test creates when it is ready. They give up after
``?wait=`` seconds (so that a broken test cannot leave them running), and say so.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from asgiref.sync import async_to_sync
from django.db import connection
from django.http import FileResponse, HttpRequest, JsonResponse, StreamingHttpResponse
from django.urls import reverse

from tests.asgi.project import tally
from tests.asgi.project.models import Item

DEFAULT_WAIT = 30.0


def _thread() -> dict[str, object]:
    current = threading.current_thread()
    return {
        "thread": current.name,
        "ident": threading.get_ident(),
        "main": current is threading.main_thread(),
    }


def _served(request: HttpRequest) -> dict[str, object]:
    # The thread, and the chain (sync or async) that called the view.
    return {**_thread(), "chain": getattr(request, "served_chain", None)}


def _gate(request: HttpRequest) -> bool:
    """Wait until the gate file exists; return False if ``?wait=`` seconds passed first."""
    gate = Path(request.GET["gate"])
    deadline = time.monotonic() + float(request.GET.get("wait", DEFAULT_WAIT))
    while not gate.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    return int(row[0])


def where(request: HttpRequest) -> JsonResponse:
    """Answer the request's path, path_info and this view's reversed URL, and the thread."""
    return JsonResponse(
        {
            "path": request.path,
            "path_info": request.path_info,
            "reversed": reverse("where"),
            **_served(request),
        }
    )


async def where_async(request: HttpRequest) -> JsonResponse:
    """Answer as :func:`where` does, from an async view; and the event loop's id."""
    return JsonResponse(
        {
            "path": request.path,
            "path_info": request.path_info,
            "reversed": reverse("where-async"),
            "loop": id(asyncio.get_running_loop()),
            **_served(request),
        }
    )


async def items(request: HttpRequest) -> JsonResponse:
    """Count and list the items with the ORM's async API, as the demo's item_count does."""
    names = [item.name async for item in Item.objects.order_by("id")]
    count = await Item.objects.acount()
    return JsonResponse({"count": count, "names": names, **_served(request)})


async def _where_coroutine() -> dict[str, object]:
    return {"loop": id(asyncio.get_running_loop()), **_thread()}


def hop(request: HttpRequest) -> JsonResponse:
    """Run a coroutine with ``async_to_sync`` from a sync view; answer both threads."""
    coroutine = async_to_sync(_where_coroutine)()
    return JsonResponse({"view": _served(request), "coroutine": coroutine})


def gate(request: HttpRequest) -> JsonResponse:
    """Wait for the gate, then query the database if ``?query=1``; count entries and exits."""
    tally.count("gate_entered")
    try:
        released = _gate(request)
        backend = None
        if request.GET.get("query"):
            backend = _backend()
            tally.count("gate_queried")
        return JsonResponse({"released": released, "backend": backend, **_thread()})
    finally:
        tally.count("gate_left")


def stream(request: HttpRequest) -> StreamingHttpResponse:
    """Stream a line, wait for the gate, stream a last line; each line names its thread."""
    view = _thread()

    def lines() -> Iterator[str]:
        yield f"first view={view['ident']} name={view['thread']}\n"
        released = _gate(request)
        yield f"last generator={threading.get_ident()} released={released}\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")


def endless(request: HttpRequest) -> StreamingHttpResponse:
    """Stream a line per query, forever; count ``endless_stopped`` when the stream ends."""

    def lines() -> Iterator[str]:
        try:
            while True:
                yield f"backend={_backend()}\n"
                time.sleep(0.01)
        finally:
            tally.count("endless_stopped")

    return StreamingHttpResponse(lines(), content_type="text/plain")


def download(request: HttpRequest) -> FileResponse:
    """Send the file at ``?path=``."""
    return FileResponse(Path(request.GET["path"]).open("rb"))


def upload(request: HttpRequest) -> JsonResponse:
    """Answer the size and SHA-256 of the uploaded ``file``, and whether it went to disk."""
    received = request.FILES["file"]
    digest = hashlib.sha256()
    for chunk in received.chunks():
        digest.update(chunk)
    on_disk = hasattr(received, "temporary_file_path")
    return JsonResponse({"size": received.size, "sha256": digest.hexdigest(), "on_disk": on_disk})


def form(request: HttpRequest) -> JsonResponse:
    """Answer how many fields the urlencoded body has."""
    return JsonResponse({"fields": len(request.POST)})


def boom(request: HttpRequest) -> JsonResponse:
    """Fail with an exception whose text must reach the log and never the client."""
    raise RuntimeError("boom-7f3a: the view failed on purpose")


def signals(request: HttpRequest) -> JsonResponse:
    """Answer the process's counters, from a sync view (request signals included)."""
    return JsonResponse(tally.snapshot())


async def counters(request: HttpRequest) -> JsonResponse:
    """Answer the process's counters; async, so that it answers while the threads are busy."""
    return JsonResponse(tally.snapshot())
