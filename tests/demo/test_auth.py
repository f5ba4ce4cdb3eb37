"""Token authentication middleware, on its sync and async paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import AsyncClient, RequestFactory

from demo.catalog.auth import TokenAuthenticationMiddleware, presented_token
from demo.catalog.models import CopyrightItem
from tests.demo.helpers import upload

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

TOKEN = "a" * 43


class _Recorder:
    """Stand in for the rest of the stack and remember who the request was from."""

    def __init__(self) -> None:
        self.user: AbstractBaseUser | AnonymousUser | None = None

    def sync(self, request: HttpRequest) -> HttpResponse:
        self.user = request.user
        return HttpResponse("ok")

    async def async_(self, request: HttpRequest) -> HttpResponse:
        return self.sync(request)


def _request(authorization: str | None) -> HttpRequest:
    headers = {} if authorization is None else {"Authorization": authorization}
    return RequestFactory().get("/", headers=headers)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Token {TOKEN}", TOKEN),
        (f"token {TOKEN}", TOKEN),
        (f"  Token   {TOKEN}  ", TOKEN),
        (None, None),
        ("", None),
        ("Token", None),
        (f"Bearer {TOKEN}", None),
        (f"Token {TOKEN} extra", None),
        ("Token ünïcode", None),
        ("Token " + "a" * 257, None),
    ],
    ids=[
        "token",
        "lowercase-keyword",
        "extra-spaces",
        "no-header",
        "empty-header",
        "keyword-only",
        "other-scheme",
        "three-parts",
        "non-ascii",
        "too-long",
    ],
)
def test_presented_token_reads_only_a_well_formed_token_header(
    header: str | None, expected: str | None
) -> None:
    assert presented_token(_request(header)) == expected


def test_sync_path_sets_the_tokens_user(user: User, token: str) -> None:
    recorder = _Recorder()
    middleware = TokenAuthenticationMiddleware(recorder.sync)

    response = middleware(_request(f"Token {token}"))

    assert isinstance(response, HttpResponse)
    assert response.status_code == 200
    assert recorder.user == user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", [None, "Token unknown", "Basic YWxpY2U6cHc="], ids=["none", "unknown", "basic"]
)
def test_sync_path_leaves_other_requests_anonymous(header: str | None) -> None:
    recorder = _Recorder()

    TokenAuthenticationMiddleware(recorder.sync)(_request(header))

    assert isinstance(recorder.user, AnonymousUser)


def test_sync_path_ignores_the_token_of_an_inactive_user(user: User, token: str) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)
    recorder = _Recorder()

    TokenAuthenticationMiddleware(recorder.sync)(_request(f"Token {token}"))

    assert isinstance(recorder.user, AnonymousUser)


def test_middleware_is_a_coroutine_function_only_around_an_async_stack() -> None:
    recorder = _Recorder()

    assert iscoroutinefunction(TokenAuthenticationMiddleware(recorder.async_))
    assert not iscoroutinefunction(TokenAuthenticationMiddleware(recorder.sync))


@pytest.mark.parametrize(
    ("header", "authenticated"),
    [("valid", True), ("Token unknown", False), (None, False)],
    ids=["valid", "unknown", "none"],
)
def test_async_path_sets_the_user_or_anonymous(
    user: User, token: str, header: str | None, authenticated: bool
) -> None:
    recorder = _Recorder()
    middleware = TokenAuthenticationMiddleware(recorder.async_)
    request = _request(f"Token {token}" if header == "valid" else header)

    async def call() -> HttpResponseBase:
        result = middleware(request)
        assert not isinstance(result, HttpResponseBase)
        return await result

    response = async_to_sync(call)()

    assert response.status_code == 200
    if authenticated:
        assert recorder.user == user
    else:
        assert isinstance(recorder.user, AnonymousUser)


def test_async_stack_authenticates_an_ingest(token: str) -> None:
    # AsyncClient runs the whole middleware chain under Django's ASGI handler.
    client = AsyncClient()

    response = async_to_sync(client.post)(
        "/api/ingest/",
        {"file": upload("title,rights_holder\nUlysses,James Joyce\n")},
        headers={"Authorization": f"Token {token}"},
    )

    assert response.status_code == 201
    assert CopyrightItem.objects.get().title == "Ulysses"
