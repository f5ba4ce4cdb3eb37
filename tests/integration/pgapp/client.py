"""Requests through Django's real WSGI handler, as a WSGI server makes them.

``django.test.Client`` disconnects ``close_old_connections`` from the
request_started and request_finished signals, so connections are neither
checked, closed nor returned to the pool between its requests: it cannot show
how pooling behaves per request. This client calls ``WSGIHandler`` and then
``response.close()``, as a WSGI server does, and records the exception a
request raised (Django turns it into a 500).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any, TypedDict

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception
from django.test import RequestFactory


class Answer(TypedDict):
    """What one request got: the status, the JSON body, the exception raised."""

    status: int
    json: dict[str, Any] | None
    error: dict[str, str] | None


class WsgiClient:
    """Make GET requests through a ``WSGIHandler``, thread-safely."""

    def __init__(self) -> None:
        self._handler = WSGIHandler()
        self._factory = RequestFactory(HTTP_HOST="localhost")
        self._raised = threading.local()
        got_request_exception.connect(self._record, weak=False)

    def _record(self, sender: object, request: object = None, **kwargs: object) -> None:
        self._raised.error = sys.exception()

    def get(self, path: str) -> Answer:
        """Request ``path``; return its status, JSON body and the exception it raised."""
        self._raised.error = None
        environ = self._factory.get(path).environ
        statuses: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            statuses.append(status)
            return lambda data: None

        response = self._handler(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()  # fires request_finished, as a WSGI server does
        is_json = response.get("Content-Type", "").startswith("application/json")
        exc: BaseException | None = self._raised.error
        return {
            "status": int(statuses[0].split()[0]),
            "json": json.loads(body) if is_json else None,
            "error": None if exc is None else describe(exc),
        }


def describe(exc: BaseException) -> dict[str, str]:
    """Return the class (module-qualified) and message of ``exc`` and of its cause."""
    cause = exc.__cause__
    return {
        "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc).strip(),
        "cause": "" if cause is None else f"{type(cause).__module__}.{type(cause).__qualname__}",
    }
