"""The base of prodready's middleware: sync and async capable, as its ``get_response`` is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

GetResponse = (
    Callable[[HttpRequest], HttpResponseBase] | Callable[[HttpRequest], Awaitable[HttpResponseBase]]
)


class DualMiddleware:
    """A middleware that runs on Django's sync path or its async path, without a thread hop.

    Subclasses write ``handle`` (sync) and ``ahandle`` (async); ``__call__``
    picks the one that matches ``get_response``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        """Wrap ``get_response``, taking on its sync or async nature."""
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        """Answer ``request``: ``handle`` on the sync path, ``ahandle`` (awaitable) on the async."""
        if self.async_mode:
            return self.ahandle(request)
        return self.handle(request)

    def respond(self, request: HttpRequest) -> HttpResponseBase:
        """Pass ``request`` on down the chain (sync path)."""
        return self.get_response(request)  # type: ignore[return-value]

    async def arespond(self, request: HttpRequest) -> HttpResponseBase:
        """Pass ``request`` on down the chain (async path)."""
        return await self.get_response(request)  # type: ignore[no-any-return, misc]

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        """Answer ``request`` on the sync path."""
        raise NotImplementedError

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        """Answer ``request`` on the async path."""
        raise NotImplementedError
