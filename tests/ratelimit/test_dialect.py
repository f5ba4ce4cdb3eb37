"""The decorator's keys, groups, is_ratelimited() and RATELIMIT_VIEW, on real Redis.

Every request goes through Django's test client, the demo's middleware for
rules and the process's limiter, as in production. The middleware's rules
(``/api/ 3/m ip``) do not cover these paths, so each count is the decorator's.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from django.test import AsyncClient, Client, override_settings

from prodready.ratelimit import Key, ratelimit
from prodready.ratelimit.keys import HeaderKey, parse_key
from prodready.ratelimit.rules import parse_rules

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("limited")]


def _codes(client: Client, n: int, path: str, **extra: str) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(n)]


def test_a_header_key_counts_each_value_apart() -> None:
    client = Client()
    assert _codes(client, 3, "/keys/header/", HTTP_X_API_KEY="alpha") == [200, 200, 429]
    # Another key has its own counter, though it comes from the same address.
    assert _codes(client, 2, "/keys/header/", HTTP_X_API_KEY="beta") == [200, 200]


def test_a_request_without_the_header_is_counted_by_its_address() -> None:
    # Leaving the header out must not skip the limit.
    assert _codes(Client(), 3, "/keys/header/") == [200, 200, 429]
    assert _codes(Client(REMOTE_ADDR="192.0.2.77"), 1, "/keys/header/") == [200]


def test_a_header_value_is_stored_as_a_digest_not_as_sent(prefix: str) -> None:
    import redis

    from tests.ratelimit.conftest import REDIS_URL

    with override_settings(
        PRODREADY={"REDIS_URL": REDIS_URL, "RATELIMIT": {"RULES": "", "KEY_PREFIX": prefix}}
    ):
        Client().get("/keys/header/", HTTP_X_API_KEY="sk_live_secret_value")
        keys = [k.decode() for k in redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}:*")]
    assert len(keys) == 1
    assert "sk_live_secret_value" not in keys[0]


def test_a_callable_key_counts_what_it_returns_and_none_is_not_counted() -> None:
    client = Client()
    assert _codes(client, 3, "/keys/callable/?tenant=a") == [200, 200, 429]
    assert _codes(client, 2, "/keys/callable/?tenant=b") == [200, 200]
    # None: the rule does not apply to this request.
    assert _codes(client, 4, "/keys/callable/") == [200, 200, 200, 200]


def test_a_key_that_raises_is_logged_and_counts_by_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, "prodready.ratelimit"):
        codes = _codes(Client(), 3, "/keys/broken/")
    assert codes == [200, 200, 429]  # never a 500, and still limited
    assert "rate-limit key tests.ratelimit.urls.broken failed" in caplog.text


def test_a_dotted_path_key_is_called_with_the_group_and_the_request() -> None:
    client = Client()
    assert _codes(client, 3, "/keys/path/?tenant=a") == [200, 200, 429]
    assert _codes(client, 1, "/keys/path/?tenant=b") == [200]


def test_views_in_one_group_share_a_counter() -> None:
    client = Client()
    codes = [client.get(f"/keys/shared/{which}/").status_code for which in ("one", "two") * 2]
    assert codes == [200, 200, 200, 429]


def test_is_ratelimited_counts_what_the_view_asks_it_to() -> None:
    client = Client()
    # Successful logins are not counted: the view only asks on a wrong password.
    assert client.post("/keys/login/", {"password": "right"}).status_code == 200
    wrong = [client.post("/keys/login/", {"password": "x"}).status_code for _ in range(3)]
    assert wrong == [401, 401, 429]
    assert client.post("/keys/login/", {"password": "right"}).status_code == 200


def test_is_ratelimited_leaves_methods_it_was_not_given() -> None:
    assert _codes(Client(), 4, "/keys/login/") == [401, 401, 401, 401]


def test_ais_ratelimited_in_an_async_view() -> None:
    async def run() -> list[int]:
        client = AsyncClient()
        return [(await client.get("/keys/alogin/")).status_code for _ in range(3)]

    assert asyncio.run(run()) == [401, 401, 429]


def test_keys_are_refused_at_import_time_with_every_form_named() -> None:
    with pytest.raises(ValueError, match=r"header:<name>, or a dotted path"):
        ratelimit("1/m", key="ipv4")
    with pytest.raises(ValueError, match="names no header"):
        ratelimit("1/m", key="header:")


def test_rules_take_header_and_dotted_path_keys_too() -> None:
    header, dotted = parse_rules(
        "GET /api/ 5/m header:X-Api-Key; /api/ 5/m tests.ratelimit.urls.tenant_of_group"
    )
    assert isinstance(header.keyer, HeaderKey)
    assert header.key == "header:X-Api-Key"
    assert header.name.startswith("header-")
    assert dotted.name.startswith("key-")
    # Built-in spellings are case-insensitive, as before; names unchanged.
    assert parse_key("IP").spec == "ip"
    assert isinstance(parse_key("user"), Key)


@pytest.mark.parametrize(
    "view", ["tests.ratelimit.urls.too_many", "tests.ratelimit.urls.atoo_many"]
)
@pytest.mark.parametrize("path", ["/api/ok/", "/decorated/"], ids=["middleware", "decorator"])
def test_ratelimit_view_answers_refusals_with_the_standard_headers(view: str, path: str) -> None:
    client = Client()
    with override_settings(RATELIMIT_VIEW=view):
        responses = [client.post(path) for _ in range(4)]
    refused = [r for r in responses if r.status_code == 429]
    assert refused, [r.status_code for r in responses]
    body = json.loads(refused[0].content)
    assert body["mine"] == (True if view.endswith(".too_many") else "async")
    assert refused[0]["Retry-After"] == str(body["retry"])
    assert refused[0]["Cache-Control"] == "no-store"
    assert "RateLimit-Policy" in refused[0]


def test_ratelimit_view_on_the_async_middleware_path() -> None:
    async def run() -> list[Any]:
        client = AsyncClient()
        return [await client.get("/api/aok/") for _ in range(4)]

    with override_settings(RATELIMIT_VIEW="tests.ratelimit.urls.too_many"):
        codes = asyncio.run(run())
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert json.loads(codes[3].content)["mine"] is True


@pytest.mark.limits(rules="/api/ 1/m tests.ratelimit.urls.no_such_key")
def test_unimportable_view_or_key_is_a_system_check_error() -> None:
    from prodready.system_checks import check_ratelimit_imports

    with override_settings(RATELIMIT_VIEW="tests.ratelimit.urls.no_such_view"):
        messages = check_ratelimit_imports()
    assert [m.id for m in messages] == ["prodready.E007", "prodready.E007"]
    assert messages[0].msg.startswith(
        "RATELIMIT_VIEW: the view 'tests.ratelimit.urls.no_such_view' could not be imported"
    )
    assert "no_such_key" in messages[1].msg
