"""Logging that keeps one event on one line and secrets out of the log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from prodready.masking import mask, remember


class RedactingFilter(logging.Filter):
    """Mask credentials in every record's message before any handler sees it.

    Args:
        secrets: Exact values to mask wherever they appear (the secret key, tokens).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        remember(self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its redacted, fully formatted text."""
        record.msg = mask(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now so that it is redacted too.
            record.exc_text = mask(
                logging.Formatter().formatException(record.exc_info), self._secrets
            )
            record.exc_info = None
        return True


class OneLineFormatter(logging.Formatter):
    """Format a record, traceback included, as a single line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record with newlines escaped, so one event is one line."""
        return super().format(record).replace("\r", "").replace("\n", " \\n ")


class RepeatsFilter(logging.Filter):
    """Let the first of a run of like warnings through, then one a minute with a count.

    During a database outage psycopg's pool logs a warning per connection
    attempt, several a second. A record whose template (its message before
    arguments) was seen less than ``interval`` seconds ago is held back and
    counted; the first one after the interval goes through with the count
    held back. After ``interval`` seconds without one, the next starts a new
    run.

    Args:
        interval: Seconds between two records of the same template.
    """

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Return whether ``record`` is logged; note the held back ones in the next."""
        key = (record.name, record.msg)
        now = time.monotonic()
        with self._lock:
            shown_at, held = self._runs.get(key, (float("-inf"), 0))
            if now - shown_at < self.interval:
                self._runs[key] = (shown_at, held + 1)
                return False
            self._runs[key] = (now, 0)
        if held:
            record.msg = f"{record.getMessage()} ({held} more like it held back)"
            record.args = None
        return True
