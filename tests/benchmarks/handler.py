"""One GET through Django's WSGI handler, as a WSGI server would serve it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponseBase
from django.test import RequestFactory

Send = Callable[[], HttpResponseBase]


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def make_sender(path: str, remote_addr: str = "127.0.0.1") -> Send:
    """Return a function that serves one GET of ``path`` through a fresh WSGI handler.

    The handler loads ``settings.MIDDLEWARE`` now, so call this inside the
    variant's ``override_settings``. Each call runs what a WSGI server runs:
    the request signals, the middleware chain, URL resolution, the view, and
    ``close()`` (which sends ``request_finished``).
    """
    handler = WSGIHandler()
    environ = RequestFactory().get(path, REMOTE_ADDR=remote_addr).environ

    def send() -> HttpResponseBase:
        response = handler(dict(environ), _start_response)
        response.close()
        return response

    return send
