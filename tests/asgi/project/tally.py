"""Counters of what happened in the served process, read by the tests through ``counters/``.

``request_started`` and ``request_finished`` are counted by receivers connected
in :class:`tests.asgi.project.apps.ServedProjectConfig`; views count their own
events (entered, left, stopped) under names of their choosing.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def count(name: str) -> None:
    """Add one to counter ``name``."""
    with _lock:
        _counts[name] += 1


def snapshot() -> dict[str, int]:
    """Return every counter's value."""
    with _lock:
        return dict(_counts)


def on_request_started(sender: object, **kwargs: Any) -> None:
    """Count a ``request_started`` signal."""
    count("request_started")


def on_request_finished(sender: object, **kwargs: Any) -> None:
    """Count a ``request_finished`` signal."""
    count("request_finished")
