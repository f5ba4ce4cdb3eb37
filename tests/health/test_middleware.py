"""ProbeMiddleware: probe paths answer whatever the Host and scheme; nothing else opens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings

from prodready.health.middleware import ProbeMiddleware
from tests.asgi_request import asgi_get_now
from tests.health.fakes import recording

POD_IP = "10.42.0.7"
MIDDLEWARE = [
    "prodready.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]


@pytest.fixture(autouse=True)
def strict_site() -> Iterator[None]:
    """One allowed host and HTTPS redirects, as in the prod profile."""
    with override_settings(
        ROOT_URLCONF="tests.health.urls",
        MIDDLEWARE=MIDDLEWARE,
        ALLOWED_HOSTS=["api.example.com"],
        SECURE_SSL_REDIRECT=True,
        PRODREADY={"HEALTH": {"CACHE_SECONDS": 0}},
    ):
        yield


def _get_async(path: str, host: str) -> int:
    """GET through Django's ASGI handler with exactly this Host (AsyncClient adds its own)."""
    answer = asgi_get_now(
        ASGIHandler(), path, host=host, client=("10.42.0.1", 40000), server=(POD_IP, 8000)
    )
    return answer.status


def _get_sync(path: str, host: str) -> int:
    return int(Client().get(path, HTTP_HOST=host).status_code)


GETTERS = pytest.mark.parametrize("get", [_get_sync, _get_async], ids=["sync", "async"])


@GETTERS
@pytest.mark.parametrize(
    "path",
    [
        "/api/health/",
        "/api/readiness/",
        "/api/liveness/",
        "/api/health",
        "/api/readiness",
        "/api/liveness",
    ],
)
def test_probes_answer_with_the_pod_ip_over_plain_http(get: object, path: str) -> None:
    # With or without the trailing slash: a kubelet probe is written either way.
    assert get(path, POD_IP) == 200  # type: ignore[operator]


@GETTERS
@pytest.mark.parametrize(
    "path",
    ["/api/other/", "/api/other", "/api/readiness/x", "/api/READINESS/", "/api//readiness/"],
    ids=["other-view", "other-no-slash", "below", "case", "double-slash"],
)
def test_any_other_path_with_that_host_is_still_400(get: object, path: str) -> None:
    assert get(path, POD_IP) == 400  # type: ignore[operator]


@GETTERS
def test_other_paths_on_the_right_host_are_still_redirected_to_https(get: object) -> None:
    assert get("/api/other/", "api.example.com") == 301  # type: ignore[operator]


def test_without_probe_urls_the_middleware_passes_everything_on() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("passed on")

    middleware = ProbeMiddleware(view)
    with recording() as logged, override_settings(ROOT_URLCONF="demo.catalog.urls"):
        request = HttpRequest()
        request.path = request.path_info = "/api/readiness/"
        response = middleware(request)
        middleware(request)
    assert response.content == b"passed on"
    assert middleware.probe_paths() == frozenset()
    assert logged.messages() == [
        "ProbeMiddleware found no probe URL: include 'prodready.health.urls' in the URLconf"
    ]
