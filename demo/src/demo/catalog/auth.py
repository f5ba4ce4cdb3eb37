"""Token authentication: ``Authorization: Token <token>`` sets ``request.user``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.contrib.auth.models import AnonymousUser
from django.http.response import HttpResponseBase

from demo.catalog.models import ApiToken
from demo.catalog.tokens import hash_token

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from django.db.models import QuerySet
    from django.http import HttpRequest

KEYWORD = "token"
# Issued tokens are 43 characters; anything much longer is junk, not worth a query.
MAX_TOKEN_LENGTH = 256


def presented_token(request: HttpRequest) -> str | None:
    """Return the token of an ``Authorization: Token <token>`` header, else ``None``.

    The keyword is case-insensitive; a missing, empty, oddly shaped or non-ASCII
    header gives ``None`` rather than an error.
    """
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != KEYWORD:
        return None
    token = parts[1]
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    return token


def _tokens(token: str) -> QuerySet[ApiToken]:
    # Looked up by hash through the unique index: no comparison of secrets
    # happens in Python, so there is no timing side channel to close.
    return ApiToken.objects.select_related("user").filter(
        key_hash=hash_token(token), user__is_active=True
    )


class TokenAuthenticationMiddleware:
    """Set ``request.user`` from a token header, or to ``AnonymousUser``.

    An unknown or malformed token leaves the request anonymous; views that need
    a user answer 401 themselves. Works under WSGI and ASGI: on the async path
    the lookup uses the ORM's async API and never blocks the event loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: (
            Callable[[HttpRequest], HttpResponseBase]
            | Callable[[HttpRequest], Awaitable[HttpResponseBase]]
        ),
    ) -> None:
        """Wrap ``get_response``, taking on its sync or async nature."""
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """Authenticate ``request`` and pass it on (returns an awaitable in async mode)."""
        if self.async_mode:
            return self.__acall__(request)
        token = presented_token(request)
        found = _tokens(token).first() if token else None
        request.user = found.user if found else AnonymousUser()
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # sync mode: sync get_response
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """Authenticate ``request`` without blocking the event loop and pass it on."""
        token = presented_token(request)
        found = await _tokens(token).afirst() if token else None
        request.user = found.user if found else AnonymousUser()
        result = self.get_response(request)
        assert not isinstance(result, HttpResponseBase)  # async mode: async get_response
        return await result
