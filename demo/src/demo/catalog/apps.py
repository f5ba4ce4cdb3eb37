"""Django app configuration of the demo catalog."""

from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Register the catalog app under the label ``catalog``."""

    name = "demo.catalog"
    label = "catalog"
    verbose_name = "Catalog"
    # Fixed here so that the migrations do not depend on the project's setting.
    default_auto_field = "django.db.models.BigAutoField"
