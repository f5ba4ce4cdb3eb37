"""URLs of the served project."""

from __future__ import annotations

from django.urls import include, path

from tests.asgi.project import serving, views

urlpatterns = [
    path("ready/", views.ready),
    path("pid/", views.pid),
    path("pool/", views.pool),
    path("api/", include("prodready.health.urls")),
    path("where/", serving.where, name="where"),
    path("where-async/", serving.where_async, name="where-async"),
    path("items/", serving.items),
    path("hop/", serving.hop),
    path("gate/", serving.gate),
    path("stream/", serving.stream),
    path("endless/", serving.endless),
    path("download/", serving.download),
    path("upload/", serving.upload),
    path("form/", serving.form),
    path("boom/", serving.boom),
    path("signals/", serving.signals),
    path("counters/", serving.counters),
]
