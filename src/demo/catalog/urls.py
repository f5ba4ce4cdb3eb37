"""URLs of the catalog API, mounted under ``api/`` by the demo project."""

from __future__ import annotations

from django.urls import path

from demo.catalog import views

app_name = "catalog"

urlpatterns = [
    path("items/", views.item_list, name="items"),
    path("ingest/", views.ingest, name="ingest"),
]
