"""One in-process ASGI GET for the tests: an app called with a scope, no server in between."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

AsgiApp = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class AsgiAnswer:
    """What the app sent: status, headers as sent (bytes pairs), the body, and the start message."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    start: dict[str, Any]

    def header(self, name: bytes) -> bytes | None:
        """Return the first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


async def asgi_get(
    app: AsgiApp,
    path: str,
    *,
    host: str = "testserver",
    client: tuple[str, int] = ("127.0.0.1", 40000),
    server: tuple[str, int] = ("testserver", 80),
    stalls_after: int | None = None,
) -> AsgiAnswer:
    """GET ``path`` through ``app``; the client stays connected until the answer ends.

    Args:
        app: An ASGI application.
        path: The request path.
        host: The ``Host`` header.
        client: The peer's address, as the server would give it.
        server: The server's address.
        stalls_after: Stop reading after this many messages: the app's next
            ``send`` never returns, as with a client that stops reading.
    """
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", host.encode())], "client": client,
        "server": server,
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    requested = False
    never = asyncio.get_running_loop().create_future()  # the client never hangs up

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await never  # type: ignore[no-any-return]

    async def send(message: Any) -> None:
        if stalls_after is not None and len(sent) >= stalls_after:
            await never
        sent.append(dict(message))

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return AsgiAnswer(int(start["status"]), list(start.get("headers", [])), body, start)


def asgi_get_now(app: AsgiApp, path: str, **options: Any) -> AsgiAnswer:
    """:func:`asgi_get` run to its end in an event loop of its own."""
    return asyncio.run(asgi_get(app, path, **options))
