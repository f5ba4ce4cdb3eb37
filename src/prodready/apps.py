"""Django app config: registers prodready's system checks."""

from __future__ import annotations

from django.apps import AppConfig


class ProdreadyConfig(AppConfig):
    """The ``prodready`` Django app."""

    name = "prodready"
    verbose_name = "prodready"

    def ready(self) -> None:
        """Register the system checks and the fork hook of the pools."""
        # Imported for its side effect: forked children (gunicorn --preload,
        # celery) drop pools and sockets inherited from their parent.
        from prodready import pools, system_checks  # noqa: F401

        system_checks.register()
