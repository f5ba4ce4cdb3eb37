"""A URLconf with the probe endpoints on fake checks and one ordinary view, under ``api/``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from prodready.health import health_urls
from tests.health.fakes import FakeCheck

DATABASE = FakeCheck(name="database")
CACHE = FakeCheck(name="cache")


def other(request: HttpRequest) -> HttpResponse:
    """Answer with the host, so that any path but a probe's validates it."""
    return HttpResponse(request.get_host())


probes = health_urls(
    health=[DATABASE, CACHE], readiness=[DATABASE], readiness_extras={"answer": lambda: 42}
)
urlpatterns = [path("api/", include(probes)), path("api/other/", other)]
