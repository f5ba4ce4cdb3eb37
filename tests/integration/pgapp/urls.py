"""URLs of the child processes' project."""

from __future__ import annotations

from django.urls import path

from tests.integration.pgapp import views

urlpatterns = [
    path("pid/", views.backend_pid),
    path("iterate/", views.iterate_permissions),
    path("repeat/", views.repeat_count),
]
