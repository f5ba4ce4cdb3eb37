"""Django app config: registers prodready's system checks and database deadlines."""

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
        from django.db.backends.signals import connection_created

        from prodready import deadlines, pools, system_checks  # noqa: F401

        system_checks.register()
        # Every PostgreSQL query gets a client-side deadline (a hung link).
        connection_created.connect(deadlines.install, dispatch_uid="prodready-deadlines")
