"""Django app config: registers prodready's system checks."""

from __future__ import annotations

from django.apps import AppConfig


class ProdreadyConfig(AppConfig):
    """The ``prodready`` Django app."""

    name = "prodready"
    verbose_name = "prodready"

    def ready(self) -> None:
        """Register the system checks."""
        from prodready import system_checks

        system_checks.register()
