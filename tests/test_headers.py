"""SecurityHeadersMiddleware: the OWASP REST headers on every answer of the demo's chain.

The demo's own MIDDLEWARE (SecurityHeadersMiddleware first), through Django's
test client: API answers, probes (answered by ProbeMiddleware, before Django's
SecurityMiddleware) and 429s (answered by RateLimitMiddleware) all carry them;
what a view sets itself is kept.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.decorators.clickjacking import xframe_options_exempt

from demo import settings as demo_settings
from prodready.ratelimit.process import get_limiter
from tests.ratelimit.conftest import LOCMEM, limit_settings

OWASP = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@cache_page(60)
def cached(request: HttpRequest) -> HttpResponse:
    return HttpResponse("cached")


@xframe_options_exempt
def framed(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("framed")
    response["Content-Security-Policy"] = "frame-ancestors https://partner.example"
    return response


urlpatterns = [
    path("own/cached/", cached),
    path("own/framed/", framed),
    path("", include("demo.urls")),
]


@pytest.fixture(autouse=True)
def demo_chain() -> Iterator[None]:
    with override_settings(
        MIDDLEWARE=demo_settings.MIDDLEWARE,
        ROOT_URLCONF=__name__,
        CACHES=LOCMEM,
        PRODREADY=limit_settings("GET /api/items/ 2/m ip", redis_url=None),
    ):
        yield
        get_limiter().close()


def _owasp(response: HttpResponse) -> dict[str, str | None]:
    return {name: response.get(name) for name in OWASP}


@pytest.mark.django_db
def test_api_answers_and_429s_carry_the_owasp_headers() -> None:
    client = Client()
    answers = [client.get("/api/items/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    for answer in answers:
        assert _owasp(answer) == OWASP
        assert "Strict-Transport-Security" not in answer  # plain HTTP


@pytest.mark.parametrize("probe", ["/api/liveness/", "/api/liveness"])
def test_probes_answered_before_djangos_middleware_carry_them_too(probe: str) -> None:
    # The kubelet's request: the pod IP as Host, plain HTTP.
    answer = Client().get(probe, HTTP_HOST="10.1.2.3")
    assert answer.status_code == 200
    assert _owasp(answer) == OWASP


def test_hsts_only_over_https_and_as_the_settings_say() -> None:
    with override_settings(SECURE_HSTS_SECONDS=600, SECURE_HSTS_PRELOAD=True):
        secure = Client().get("/api/liveness/", secure=True)
        plain = Client().get("/api/liveness/")
    assert secure["Strict-Transport-Security"] == "max-age=600; preload"
    assert "Strict-Transport-Security" not in plain
    with override_settings(SECURE_HSTS_SECONDS=0):
        assert "Strict-Transport-Security" not in Client().get("/api/liveness/", secure=True)


def test_what_a_view_sets_is_kept() -> None:
    cached_answer = Client().get("/own/cached/")
    assert cached_answer["Cache-Control"] == "max-age=60"
    framed_answer = Client().get("/own/framed/")
    assert framed_answer["Content-Security-Policy"] == "frame-ancestors https://partner.example"
    assert "X-Frame-Options" not in framed_answer
    assert framed_answer["X-Content-Type-Options"] == "nosniff"
