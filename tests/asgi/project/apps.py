"""The served project's app: its model, and the receivers that count request signals."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import signals


class ServedProjectConfig(AppConfig):
    """Connect the counting receivers of :mod:`tests.asgi.project.tally`."""

    name = "tests.asgi.project"
    label = "served"

    def ready(self) -> None:
        """Count every ``request_started`` and ``request_finished`` of this process."""
        from tests.asgi.project import tally

        signals.request_started.connect(tally.on_request_started)
        signals.request_finished.connect(tally.on_request_finished)
