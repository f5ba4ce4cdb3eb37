"""Middleware that tells a view which of Django's chains, sync or async, it was called from."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from prodready.middleware import DualMiddleware


class ChainMiddleware(DualMiddleware):
    """Set ``request.served_chain`` to ``"async"`` or ``"sync"``: how Django loaded the chain.

    An async view run by the sync chain (``async_to_sync``) runs on the event
    loop's thread as well; only the chain tells it from one on the async path.
    """

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        request.served_chain = "sync"  # type: ignore[attr-defined]
        return self.respond(request)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        request.served_chain = "async"  # type: ignore[attr-defined]
        return await self.arespond(request)
