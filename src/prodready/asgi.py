"""Django's ASGI handler with lifespan: validate, open pools, drain on SIGTERM, close.

``uvicorn project.asgi:application`` with::

    from prodready.asgi import get_asgi_application
    application = get_asgi_application()

The ASGI ``lifespan`` scope, which Django's own handler refuses ("Django can
only handle ASGI/HTTP connections, not lifespan."), is answered here:

- start-up reports a bad configuration as ``lifespan.startup.failed`` with the
  profile's message, runs prodready's system checks, keeps ``REMOTE_ADDR`` the
  connection's peer under uvicorn's proxy headers (:mod:`prodready.peer`), opens the native
  connection pools without waiting (a worker whose database is down still
  starts, and reports not-ready) and installs the SIGTERM drain
  (:mod:`prodready.drain`);
- shutdown comes after the server has finished the requests in flight: it
  closes the pools and the rate limiter's Redis clients, logging (never
  raising) what fails.

Every other scope goes to :class:`prodready.serving.Handler`: Django's ASGI
handler for async views, and one worker-thread hop for synchronous ones. While
the process drains, responses carry ``Connection: close`` so that clients on
keep-alive connections move on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import django

from prodready.conf import get_conf
from prodready.drain import SignalDrain
from prodready.exceptions import ConfigurationError, ProdreadyError
from prodready.lifecycle import is_draining, reset, start_draining
from prodready.peer import keep_peer, restore_peer
from prodready.pools import close_pools, open_pools

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("prodready.asgi")

POOL_CLOSE_TIMEOUT = 5.0


class StartupFailed(ProdreadyError):
    """Start-up cannot complete; the message is shown by the server, so it holds no secret."""


class Application:
    """An ASGI application: lifespan handled here, everything else by ``app``.

    Args:
        app: Django's ASGI handler, or None when setting Django up failed.
        setup_error: Why setting Django up failed (reported at start-up).
    """

    def __init__(self, app: ASGIApp | None, setup_error: str | None = None) -> None:
        self.app = app
        self.setup_error = setup_error
        self._drain: SignalDrain | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self.app is None:
            # Only without lifespan: with it, the server never started serving.
            raise StartupFailed(self.setup_error)
        if scope["type"] == "http":
            send = _closing_while_draining(send)
        restore_peer(scope)
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except StartupFailed as err:
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                except Exception:
                    logger.exception("Application start-up failed.")
                    failed = "Application start-up failed; the error is logged above."
                    await send({"type": "lifespan.startup.failed", "message": failed})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        """Validate, open the pools and install the drain; raise StartupFailed if invalid."""
        if self.setup_error is not None:
            raise StartupFailed(self.setup_error)
        run_checks()
        _keep_peer()
        opened = open_pools()
        if opened:
            logger.info("Connection pools opening in the background: %s.", ", ".join(opened))
        reset()  # this process serves from now on
        self._drain = SignalDrain(asyncio.get_running_loop(), get_conf().health_drain_seconds)
        if not self._drain.install():
            logger.debug("Not in the main thread: the server handles SIGTERM on its own.")

    async def shutdown(self) -> None:
        """Close the pools and the rate limiter's clients; log, never raise, what fails."""
        start_draining()
        if self._drain is not None:
            self._drain.uninstall()
            self._drain = None
        try:
            await asyncio.to_thread(close_pools, POOL_CLOSE_TIMEOUT)
        except Exception:  # close_pools() logs per pool; this is anything around it
            logger.exception("Closing the connection pools failed.")
        await _close_limiter()
        close = getattr(self.app, "close", None)
        if close is not None:
            close()  # the worker threads of prodready.serving


def _keep_peer() -> None:
    allowed = keep_peer()
    if allowed is not None:
        # Both uvicorn and the limiter would read X-Forwarded-For: say which one counts.
        logger.warning(
            "uvicorn's --proxy-headers is on (its default; forwarded-allow-ips %s): prodready "
            "keeps REMOTE_ADDR as the connection's peer, so X-Forwarded-For counts only as "
            "RATELIMIT_TRUSTED_PROXIES=%s says. Start uvicorn with --no-proxy-headers (and "
            "name your proxies in RATELIMIT_TRUSTED_PROXIES) to silence this.",
            allowed,
            _shown(get_conf().ratelimit_trusted_proxies),
        )


def _shown(trusted: object) -> str:
    if isinstance(trusted, tuple):
        return ",".join(str(network) for network in trusted)
    return str(trusted)


def run_checks() -> None:
    """Run prodready's system checks; raise StartupFailed on errors, log warnings."""
    from django.core import checks

    messages = [m for m in checks.run_checks(tags=["prodready"]) if not m.is_silenced()]
    errors = [str(m) for m in messages if m.is_serious()]
    for message in messages:
        if not message.is_serious():
            logger.warning("%s", message)
    if errors:
        raise StartupFailed("\n".join(["prodready: the system checks found errors:", *errors]))


async def _close_limiter() -> None:
    from prodready.ratelimit.process import close_limiter

    try:
        await close_limiter()
    except Exception:
        logger.exception("Closing the rate limiter's store failed.")


def _closing_while_draining(send: Send) -> Send:
    async def closing_send(message: Message) -> None:
        if message["type"] == "http.response.start" and is_draining():
            headers = list(message.get("headers", ()))
            if not any(name.lower() == b"connection" for name, _ in headers):
                headers.append((b"connection", b"close"))
                message = {**message, "headers": headers}
        await send(message)

    return closing_send


def get_asgi_application() -> Application:
    """Set Django up and return its ASGI handler with lifespan support.

    Synchronous views run whole (middleware chain and view) in one of
    ``ASGI_THREADS`` worker threads per process; async views keep Django's
    async path (see :mod:`prodready.serving`).

    A configuration the profile refuses does not fail the import: it fails the
    ASGI start-up with the profile's message, which makes uvicorn exit with its
    start-up failure status instead of restarting workers in a loop.
    """
    try:
        django.setup(set_prefix=False)
    except ConfigurationError as err:
        return Application(None, setup_error=err.render())
    from prodready.serving import Handler

    handler: Any = Handler(get_conf().asgi_threads)
    return Application(handler)
