"""Middleware that tells a view which of Django's chains, sync or async, it was called from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase


class ChainMiddleware:
    """Set ``request.served_chain`` to ``"async"`` or ``"sync"``: how Django loaded the chain.

    An async view run by the sync chain (``async_to_sync``) runs on the event
    loop's thread as well; only the chain tells it from one on the async path.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        request.served_chain = "sync"  # type: ignore[attr-defined]
        response: HttpResponseBase = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        request.served_chain = "async"  # type: ignore[attr-defined]
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return await get_response(request)
