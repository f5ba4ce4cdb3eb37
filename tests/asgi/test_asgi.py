"""The ASGI application in-process: the lifespan protocol, failures, draining responses."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

import prodready.asgi
from prodready import lifecycle
from prodready.asgi import Application, StartupFailed, get_asgi_application
from prodready.exceptions import ConfigurationError, Problem
from prodready.ratelimit.limiter import Limiter
from prodready.ratelimit.process import get_limiter
from tests.asgi_request import asgi_get_now

pytestmark = pytest.mark.usefixtures("clean_process")

LIFESPAN = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}


def lifespan(app: Application, *events: str) -> list[dict[str, Any]]:
    """Send ``lifespan.<event>`` messages to ``app`` in order; return what it sent back."""

    async def scenario() -> list[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for event in events:
            queue.put_nowait({"type": f"lifespan.{event}"})
        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(dict(message))

        await app(dict(LIFESPAN), queue.get, send)
        return sent

    return asyncio.run(scenario())


def get(app: Application, path: str) -> dict[str, Any]:
    """GET ``path`` through ``app``; return the ``http.response.start`` message."""
    return asgi_get_now(app, path, host="localhost", server=("127.0.0.1", 8000)).start


@pytest.fixture
def app() -> Application:
    """The application, Django set up (which configures logging anew)."""
    return get_asgi_application()


@pytest.fixture
def logged(
    app: Application, caplog: pytest.LogCaptureFixture
) -> Iterator[pytest.LogCaptureFixture]:
    """Capture prodready's records (its logger does not propagate to the root)."""
    logger = logging.getLogger("prodready")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_startup_and_shutdown_complete(app: Application) -> None:

    assert lifespan(app, "startup", "shutdown") == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    assert lifecycle.is_draining()


def test_the_drain_is_installed_from_startup_to_shutdown(app: Application) -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    async def scenario() -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def send(message: Any) -> None:
            seen.append(signal.getsignal(signal.SIGTERM))
            if message["type"] == "lifespan.startup.complete":
                queue.put_nowait({"type": "lifespan.shutdown"})

        queue.put_nowait({"type": "lifespan.startup"})
        await app(dict(LIFESPAN), queue.get, send)

    asyncio.run(scenario())

    during, after = seen
    assert during is not before
    assert after is before


def test_a_refused_profile_fails_the_startup_with_its_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error = ConfigurationError([Problem("SECRET_KEY", "is required in the prod profile.")], "prod")

    def refuse(set_prefix: bool = True) -> None:
        raise error

    monkeypatch.setattr(prodready.asgi.django, "setup", refuse)
    app = get_asgi_application()

    assert lifespan(app, "startup") == [
        {
            "type": "lifespan.startup.failed",
            "message": "prodready: the prod configuration has 1 problem:\n"
            "  - SECRET_KEY: is required in the prod profile.",
        }
    ]
    # Served without lifespan, it refuses every request.
    with pytest.raises(StartupFailed, match="SECRET_KEY"):
        get(app, "/")


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_system_check_errors_fail_the_startup(app: Application) -> None:
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "app",
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"pool": True},
    }

    with override_settings(DATABASES={"default": database}):
        sent = lifespan(app, "startup")

    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"].startswith("prodready: the system checks found errors:\n")
    assert "(prodready.E002)" in sent[0]["message"]


def test_system_check_warnings_are_logged_and_the_startup_completes(
    app: Application, logged: pytest.LogCaptureFixture
) -> None:
    conf = {"PROFILE": "prod", "RATELIMIT": {"RULES": "GET /api/ 10/m ip"}}

    with override_settings(PRODREADY=conf):
        sent = lifespan(app, "startup", "shutdown")

    assert sent[0] == {"type": "lifespan.startup.complete"}
    assert any("(prodready.W002)" in r.getMessage() for r in logged.records)


def test_unexpected_startup_error_is_logged_and_reported_generically(
    app: Application, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[str]:
        raise RuntimeError("password=hunter2 in a driver message")

    monkeypatch.setattr(prodready.asgi, "open_pools", broken)

    sent = lifespan(app, "startup")

    assert sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "Application start-up failed; the error is logged above.",
        }
    ]
    assert [r.getMessage() for r in logged.records] == ["Application start-up failed."]


@pytest.mark.parametrize("built", [True, False], ids=["built", "never-built"])
def test_shutdown_closes_the_rate_limiter_only_if_it_was_built(
    app: Application, built: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Limiter] = []

    async def aclose(self: Limiter) -> None:
        closed.append(self)

    monkeypatch.setattr(Limiter, "aclose", aclose)
    get_limiter.cache_clear()
    limiter = get_limiter() if built else None

    lifespan(app, "startup", "shutdown")

    assert closed == ([limiter] if built else [])
    assert get_limiter.cache_info().currsize == (1 if built else 0)
    get_limiter.cache_clear()


def test_shutdown_completes_when_closing_fails(
    app: Application, monkeypatch: pytest.MonkeyPatch, logged: pytest.LogCaptureFixture
) -> None:
    async def aclose(self: Limiter) -> None:
        raise ConnectionError("Redis is gone")

    monkeypatch.setattr(Limiter, "aclose", aclose)
    get_limiter.cache_clear()
    get_limiter()

    sent = lifespan(app, "startup", "shutdown")

    assert sent[-1] == {"type": "lifespan.shutdown.complete"}
    assert "Closing the rate limiter's store failed." in [r.getMessage() for r in logged.records]
    get_limiter.cache_clear()


def test_responses_ask_clients_to_close_the_connection_while_draining(app: Application) -> None:

    serving = get(app, "/nowhere/")
    lifecycle.start_draining()
    draining = get(app, "/nowhere/")

    assert serving["status"] == draining["status"] == 404
    assert (b"connection", b"close") not in serving["headers"]
    assert (b"connection", b"close") in draining["headers"]
