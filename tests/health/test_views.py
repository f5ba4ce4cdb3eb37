"""The endpoints in process: shapes, statuses, content negotiation, the token, draining."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from django.test import AsyncClient, Client, override_settings

from prodready import lifecycle
from prodready.health.views import liveness
from prodready.ratelimit.middleware import EXEMPT_ATTRIBUTE
from tests.health import urls
from tests.health.conftest import TOKEN

HEALTH = {"TIMEOUT": 0.5, "CACHE_SECONDS": 0, "TOKEN": TOKEN}


@pytest.fixture(autouse=True)
def app() -> Iterator[None]:
    """The fake checks' URLconf, no middleware, no cache period, checks passing."""
    lifecycle.reset()
    with override_settings(
        ROOT_URLCONF="tests.health.urls", MIDDLEWARE=[], PRODREADY={"HEALTH": HEALTH}
    ):
        yield
    urls.DATABASE.outcome = urls.CACHE.outcome = "ok"
    lifecycle.reset()


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest) -> Client:
    """A WSGI-style client (the async views run through async_to_sync) or an ASGI one."""
    if request.param == "sync":
        return Client()

    class _Async:
        def __init__(self) -> None:
            self._client = AsyncClient()

        def get(self, path: str, **extra: str) -> object:
            return asyncio.run(self._client.get(path, headers=_headers(extra)))

        def post(self, path: str, **extra: str) -> object:
            return asyncio.run(self._client.post(path, headers=_headers(extra)))

    return _Async()  # type: ignore[return-value]


def _headers(meta: dict[str, str]) -> dict[str, str]:
    """Turn ``HTTP_ACCEPT=...`` keyword arguments of the sync client into headers."""
    return {
        key.removeprefix("HTTP_").replace("_", "-").lower(): value for key, value in meta.items()
    }


def test_health_and_readiness_pass(client: Client) -> None:
    health = client.get("/api/health/")
    assert health.status_code == 200
    assert health["Content-Type"] == "application/json"
    assert health.json()["status"] == "healthy"
    assert health.json()["checks"] == {"database": "ok", "cache": "ok"}
    readiness = client.get("/api/readiness/")
    assert readiness.status_code == 200
    assert set(readiness.json()) == {"status", "timestamp", "checks", "answer"}
    assert (readiness.json()["status"], readiness.json()["answer"]) == ("ready", 42)


def test_a_failure_is_a_503_with_a_word_only(client: Client) -> None:
    urls.CACHE.outcome = "raise"
    health = client.get("/api/health/")
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy"
    assert health.json()["checks"] == {"database": "ok", "cache": "failed"}
    assert "db.internal" not in health.content.decode()
    assert "ConnectionError" not in health.content.decode()
    # Readiness does not depend on the cache here.
    assert client.get("/api/readiness/").status_code == 200


def test_health_json_on_request(client: Client) -> None:
    urls.CACHE.outcome = "warn"
    response = client.get("/api/health/", HTTP_ACCEPT="application/health+json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/health+json"
    body = response.json()
    assert body["status"] == "warn"
    assert set(body["checks"]) == {"database:responseTime", "cache:responseTime"}


@pytest.mark.parametrize(
    ("accept", "health_json"),
    [
        ("*/*", False),
        ("application/json", False),
        ("application/health+json", True),
        ("application/json;q=0.5, application/health+json", True),
        ("text/html", False),
    ],
)
def test_content_negotiation(client: Client, accept: str, health_json: bool) -> None:
    response = client.get("/api/readiness/", HTTP_ACCEPT=accept)
    assert (response["Content-Type"] == "application/health+json") is health_json


@pytest.mark.parametrize(
    ("authorization", "detailed"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        ("Bearer wrong-token", False),
        (f"Token {TOKEN}", False),
        (TOKEN, False),
        ("", False),
    ],
    ids=["bearer", "lowercase-scheme", "wrong-token", "other-scheme", "no-scheme", "none"],
)
def test_details_only_for_the_token(client: Client, authorization: str, detailed: bool) -> None:
    urls.DATABASE.outcome = "raise"
    body = client.get("/api/health/", HTTP_AUTHORIZATION=authorization).json()
    assert ("details" in body) is detailed
    if detailed:
        assert body["details"]["database"]["error"] == (
            "ConnectionError: boom at db.internal:5432 for user admin"
        )


def test_no_token_configured_means_no_details(client: Client) -> None:
    urls.DATABASE.outcome = "raise"
    with override_settings(PRODREADY={"HEALTH": {**HEALTH, "TOKEN": None}}):
        body = client.get("/api/health/", HTTP_AUTHORIZATION="Bearer ").json()
    assert "details" not in body


def test_draining_answers_503_without_running_checks(client: Client) -> None:
    runs = urls.DATABASE.runs
    lifecycle.start_draining()
    readiness = client.get("/api/readiness/")
    health = client.get("/api/health/")
    assert (readiness.status_code, readiness.json()["status"]) == (503, "not_ready")
    assert (health.status_code, health.json()["status"]) == (503, "unhealthy")
    assert readiness.json()["draining"] is True
    assert client.get("/api/liveness/").status_code == 200
    assert urls.DATABASE.runs == runs


def test_liveness_runs_no_check(client: Client) -> None:
    urls.DATABASE.outcome = urls.CACHE.outcome = "raise"
    runs = urls.DATABASE.runs, urls.CACHE.runs
    response = client.get("/api/liveness/")
    assert (response.status_code, response.json()["status"]) == (200, "alive")
    assert (urls.DATABASE.runs, urls.CACHE.runs) == runs


@pytest.mark.parametrize("path", ["/api/health/", "/api/readiness/", "/api/liveness/"])
def test_only_get_and_head(client: Client, path: str) -> None:
    response = client.post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_views_are_exempt_from_rate_limits() -> None:
    views = [pattern.callback for pattern in urls.probes[0]]
    assert all(getattr(view, EXEMPT_ATTRIBUTE, False) for view in views)
    assert getattr(liveness, EXEMPT_ATTRIBUTE, False)
