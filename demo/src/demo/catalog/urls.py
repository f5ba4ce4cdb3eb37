"""URLs of the catalog API, mounted under ``api/`` by the demo project."""

from __future__ import annotations

from django.urls import path

from demo.catalog import export, views

app_name = "catalog"

urlpatterns = [
    path("items/", views.item_list, name="items"),
    path("items/count/", export.item_count, name="item-count"),
    path("items/export/", export.item_export, name="item-export"),
    path("ingest/", views.ingest, name="ingest"),
]
