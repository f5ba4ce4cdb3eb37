"""Process lifecycle state shared by the ASGI app and the health views."""

from __future__ import annotations

import threading

_draining = threading.Event()


def start_draining() -> None:
    """Mark this process as shutting down: readiness answers 503 from now on."""
    _draining.set()


def is_draining() -> bool:
    """Tell whether this process is shutting down."""
    return _draining.is_set()


def reset() -> None:
    """Clear the draining state (for tests and for a process that starts serving again)."""
    _draining.clear()
