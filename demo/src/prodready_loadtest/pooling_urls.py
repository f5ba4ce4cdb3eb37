"""URLs of the ``pooling`` scenario's app: the health endpoints and one ``SELECT 1`` view."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path

from prodready.health import health_urls
from prodready_loadtest.scenarios import SELECT_ONE_PATH

__all__ = ["SELECT_ONE_PATH", "select_one", "urlpatterns"]


def select_one(request: HttpRequest) -> JsonResponse:
    """Run ``SELECT 1`` on the default database: one connection, one round trip."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone() or (None,)
    return JsonResponse({"select": value})


urlpatterns: list[URLPattern | URLResolver] = [
    path("api/", include(health_urls())),
    path(SELECT_ONE_PATH.strip("/") + "/", select_one),
]
