"""URLs of the demo project."""

from django.urls import include, path

from demo.catalog.health import items_in_db
from prodready.health import health_urls

urlpatterns = [
    # health/, readiness/ and liveness/; the readiness body also shows items_in_db.
    path("api/", include(health_urls(readiness_extras={"items_in_db": items_in_db}))),
    path("api/", include("demo.catalog.urls")),
]
