"""Logging that keeps one event on one line and secrets out of the log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

# scheme://user:password@host -> scheme://user:***@host
_URL_CREDENTIALS = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)")
# password=..., password: ... as libpq and many drivers print them
_KEYWORD = re.compile(r"(?i)(?P<head>\b(?:password|passwd|secret|token)\s*[=:]\s*)[^\s,;&'\"]+")
MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with URL passwords, ``password=`` values and ``secrets`` masked."""
    text = _URL_CREDENTIALS.sub(lambda m: m.group("head") + MASK, text)
    text = _KEYWORD.sub(lambda m: m.group("head") + MASK, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Mask credentials in every record's message before any handler sees it.

    Args:
        secrets: Exact values to mask wherever they appear (the secret key, tokens).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its redacted, fully formatted text."""
        record.msg = redact(record.getMessage(), self._secrets)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now so that it is redacted too.
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self._secrets
            )
            record.exc_info = None
        return True


class OneLineFormatter(logging.Formatter):
    """Format a record, traceback included, as a single line."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record with newlines escaped, so one event is one line."""
        return super().format(record).replace("\r", "").replace("\n", " \\n ")
