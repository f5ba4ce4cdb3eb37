"""The one HTTP client of the load-test harness and the test suite: a request, a new connection.

http.client rather than urllib: urllib's proxy handling costs about 40 ms a
request here, which would stretch a probe storm past a cache period. Nothing
is followed or retried: a test sees the answer the server gave.
"""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, headers (names case-insensitive) and body."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def json(self) -> Any:
        """The body parsed as JSON; ``{}`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


@contextlib.contextmanager
def connection(url: str, timeout: float = 30) -> Iterator[http.client.HTTPConnection]:
    """Open a new connection to ``url``'s host, for a caller that reads or hangs up as it likes."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()


def request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """Send one request to ``url`` on a new connection; raise OSError when nothing accepts it."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with connection(url, timeout) as conn:
        conn.request(method, target, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        return Answer(response.status, response.msg, response.read())


def get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 30) -> Answer:
    """GET ``url``; return the answer, whatever its status (OSError when nothing accepts it)."""
    return request(url, headers=headers, timeout=timeout)


def status(url: str, timeout: float = 2) -> int | None:
    """Return the status of GET ``url``, or ``None`` when nothing answers."""
    try:
        return get(url, timeout=timeout).status
    except OSError:
        return None
