"""REMOTE_ADDR is the connection's peer, even under uvicorn's proxy-header rewriting.

uvicorn's ``--proxy-headers`` is on by default and trusts ``127.0.0.1``: for a
peer on the same host (nginx, Envoy, any sidecar) it replaces the ASGI
``client`` with an entry of ``X-Forwarded-For`` before the application sees
the request, so such a peer could pick whatever address it likes, and the
rate limiter would count it under that address. prodready reads
``X-Forwarded-For`` in one place only, as ``RATELIMIT_TRUSTED_PROXIES`` says.

So at lifespan start-up :func:`keep_peer` finds the uvicorn server that runs
the application and wraps its outermost app (outside the proxy-header
middleware) in :class:`KeepPeer`, which notes each connection's peer in the
scope; :func:`restore_peer` puts it back before Django builds ``REMOTE_ADDR``.
Connections are accepted only after start-up, so every request goes through
the wrapper. Without lifespan (``--lifespan off``) nothing is wrapped: serve
with ``--no-proxy-headers`` then.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from types import FrameType
from typing import Any

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

#: The scope key that carries the connection's peer past the server's middleware.
PEER_KEY = "prodready.peer"
# How far up the lifespan call the server's frame may be: uvicorn's lifespan
# task, its middleware and ours are a handful of frames.
_MAX_FRAMES = 30


class KeepPeer:
    """Note each connection's peer in the scope before any middleware rewrites it.

    Args:
        app: The server's outermost application (uvicorn's proxy-header middleware).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Record ``scope["client"]`` under :data:`PEER_KEY`, then call the app."""
        if scope["type"] in ("http", "websocket"):
            scope[PEER_KEY] = scope.get("client")
        await self.app(scope, receive, send)


def restore_peer(scope: Scope) -> None:
    """Put the connection's peer back in ``scope["client"]`` when it was noted.

    A unix-socket connection has no peer address (``None``): there, what the
    server made of ``X-Forwarded-For`` stands (``--uds`` with
    ``--forwarded-allow-ips`` names the proxy that owns the socket).
    """
    peer = scope.pop(PEER_KEY, None)
    if peer is not None:
        scope["client"] = peer


def _uvicorn_config() -> Any:
    # The lifespan call runs inside uvicorn's LifespanOn.main(), whose self
    # holds the server's Config; coroutine frames stay linked while they run.
    frame: FrameType | None = sys._getframe(1)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        config = getattr(frame.f_locals.get("self"), "config", None)
        if type(config).__module__ == "uvicorn.config" and hasattr(config, "loaded_app"):
            return config
        frame = frame.f_back
    return None


def keep_peer() -> str | None:
    """Wrap the running uvicorn server's app in :class:`KeepPeer` if it rewrites addresses.

    Call it from the lifespan start-up, before the server accepts connections.

    Returns:
        uvicorn's ``--forwarded-allow-ips`` when its proxy headers are on (and
        are now neutralised for the client address), else ``None``.
    """
    config = _uvicorn_config()
    if config is None or not getattr(config, "proxy_headers", False):
        return None
    if not isinstance(config.loaded_app, KeepPeer):
        config.loaded_app = KeepPeer(config.loaded_app)
    allowed = config.forwarded_allow_ips
    return allowed if isinstance(allowed, str) else ",".join(allowed)
