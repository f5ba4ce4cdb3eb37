"""URLs of the served project."""

from __future__ import annotations

from django.urls import path

from tests.asgi.project import views

urlpatterns = [
    path("ready/", views.ready),
    path("pid/", views.pid),
    path("pool/", views.pool),
]
