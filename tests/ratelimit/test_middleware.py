"""RateLimitMiddleware and @ratelimit through Django's real handler (sync and async)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, Client, override_settings

from demo.catalog.tokens import issue_token
from prodready.ratelimit.process import get_limiter
from tests.ratelimit.conftest import LOCMEM, limit_settings
from tests.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("limited")]


def _statuses(client: Client, n: int, path: str = "/api/ok/", **extra: Any) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(n)]


def test_allowed_responses_carry_ratelimit_headers() -> None:
    response = Client().get("/api/ok/")
    assert response.status_code == 200
    assert re.fullmatch(r'"ip-[0-9a-f]{8}";q=3;w=60', response.headers["RateLimit-Policy"])
    assert re.fullmatch(
        r'"ip-[0-9a-f]{8}";r=2;t=([1-9]|[1-5][0-9]|60)', response.headers["RateLimit"]
    )


def test_past_the_limit_answers_429_with_standard_headers() -> None:
    client = Client()
    assert _statuses(client, 3) == [200, 200, 200]
    response = client.get("/api/ok/")
    assert response.status_code == 429
    body = json.loads(response.content)
    assert set(body) == {"error", "detail", "retry_after"}
    assert body["error"] == "rate_limited"
    assert body["detail"].startswith("Too many requests: the limit is 3/m; retry in ")
    assert response.headers["Retry-After"] == str(body["retry_after"])
    assert 1 <= body["retry_after"] <= 60
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"
    assert re.search(r";r=0;t=\d+$", response.headers["RateLimit"])


def test_remaining_decreases_request_by_request() -> None:
    client = Client()
    remaining = [
        int(re.findall(r";r=(\d+)", client.get("/api/ok/").headers["RateLimit"])[0])
        for _ in range(3)
    ]
    assert remaining == [2, 1, 0]


def test_exempt_views_and_unmatched_paths_are_never_limited() -> None:
    client = Client()
    assert _statuses(client, 5, "/api/liveness/") == [200] * 5
    assert "RateLimit" not in client.get("/api/liveness/").headers
    assert _statuses(client, 5, "/other/") == [200] * 5
    assert "RateLimit" not in client.get("/other/").headers


def test_changed_rules_apply_to_a_loaded_middleware() -> None:
    # The middleware remembers which rules match each path; new settings
    # (a test's override, a reload) must not be served from that memory.
    client = Client()
    assert _statuses(client, 4) == [200, 200, 200, 429]
    with override_settings(PRODREADY=limit_settings("/api/ 5/m ip")):
        assert _statuses(client, 6) == [200] * 5 + [429]
        get_limiter().close()
    with override_settings(PRODREADY=limit_settings("/other/ 1/m ip")):
        assert _statuses(client, 3) == [200] * 3
        assert _statuses(client, 2, "/other/") == [200, 429]
        get_limiter().close()


def test_a_request_under_old_rules_does_not_file_its_route_among_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Thread 1 works out /api/x under the old rules while thread 2's request,
    # under new settings, resets the routes: /api/x must then follow the new rules.
    from types import SimpleNamespace

    from prodready.ratelimit import middleware
    from prodready.ratelimit.rules import parse_rules

    old_rules, new_rules = parse_rules("/api/ 5/m ip"), parse_rules("/other/ 1/m ip")
    current = [old_rules]
    monkeypatch.setattr(middleware, "get_rules", lambda: current[0])
    limiter = middleware.RateLimitMiddleware(lambda request: None)
    work_out = limiter._route

    def interleaved(request: Any, rules: Any) -> Any:
        found = work_out(request, rules)
        monkeypatch.setattr(limiter, "_route", work_out)
        current[0] = new_rules  # meanwhile, in another thread
        limiter._rule_set(SimpleNamespace(method="GET", path_info="/other/"))  # type: ignore[arg-type]
        return found

    request = SimpleNamespace(method="GET", path_info="/api/x")
    monkeypatch.setattr(limiter, "_route", interleaved)
    assert limiter._rule_set(request) is not None  # type: ignore[arg-type]  # old rules
    assert limiter._rule_set(request) is None  # type: ignore[arg-type]  # no new rule matches


def test_async_path_limits_exactly() -> None:
    async def run() -> list[int]:
        client = AsyncClient()
        statuses = [(await client.get("/api/aok/")).status_code for _ in range(5)]
        await get_limiter().aclose()
        return statuses

    assert asyncio.run(run()) == [200, 200, 200, 429, 429]


@pytest.mark.limits(rules="/api/ 100/m ip")
def test_random_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    client = Client()
    rng = random.Random(3)
    statuses = [
        client.get(
            "/api/ok/", HTTP_X_FORWARDED_FOR=f"{rng.randrange(1, 255)}.{rng.randrange(255)}.0.1"
        ).status_code
        for _ in range(300)
    ]
    assert statuses.count(200) == 100
    assert statuses.count(429) == 200


@pytest.mark.limits(rules="/api/ 2/m ip", TRUSTED_PROXIES=1)
def test_one_trusted_hop_keys_on_the_rightmost_entry() -> None:
    client = Client()
    spoofed = ["1.1.1.1, 203.0.113.7", "9.9.9.9, 8.8.8.8, 203.0.113.7", "203.0.113.7"]
    assert [client.get("/api/ok/", HTTP_X_FORWARDED_FOR=h).status_code for h in spoofed] == [
        200,
        200,
        429,
    ]
    assert client.get("/api/ok/", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


@pytest.mark.limits(rules="/api/ 2/m ip")
def test_ipv6_clients_in_one_64_share_a_limit() -> None:
    client = Client()
    same_64 = ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff::9"]
    assert [client.get("/api/ok/", REMOTE_ADDR=a).status_code for a in same_64] == [200, 200, 429]
    assert client.get("/api/ok/", REMOTE_ADDR="2001:db8:0:2::1").status_code == 200
    assert client.get("/api/ok/", REMOTE_ADDR="192.0.2.50").status_code == 200


@pytest.mark.parametrize("hops", [0, 1], ids=["no-proxies", "one-hop"])
@pytest.mark.parametrize(
    "meta",
    [
        {"HTTP_X_FORWARDED_FOR": "a,b"},
        {"HTTP_X_FORWARDED_FOR": "1.2.3.4:80"},
        {"HTTP_X_FORWARDED_FOR": "x" * 10_240},
        {"HTTP_X_FORWARDED_FOR": ""},
        {"HTTP_X_FORWARDED_FOR": "${jndi:ldap://evil/a}"},
        {"REMOTE_ADDR": ""},
        {"REMOTE_ADDR": "a,b"},
        {"REMOTE_ADDR": "1.2.3.4:80"},
        {"REMOTE_ADDR": "x" * 10_240},
    ],
    ids=[
        "xff-a-b",
        "xff-port",
        "xff-10kb",
        "xff-empty",
        "xff-jndi",
        "remote-empty",
        "remote-a-b",
        "remote-port",
        "remote-10kb",
    ],
)
def test_junk_addresses_never_give_a_500(meta: dict[str, str], hops: int) -> None:
    with override_settings(
        PRODREADY=limit_settings("/api/ 3/m ip", TRUSTED_PROXIES=hops), CACHES=LOCMEM
    ):
        client = Client()
        statuses = _statuses(client, 5, **meta)
        get_limiter().close()
    assert set(statuses) <= {200, 400, 429}


def test_unknown_client_address_is_a_clear_400() -> None:
    response = Client().get("/api/ok/", REMOTE_ADDR="")
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "bad_request"


def test_decorator_limits_one_view_and_its_methods() -> None:
    client = Client()
    assert [client.post("/decorated/").status_code for _ in range(3)] == [200, 200, 429]
    assert _statuses(client, 3, "/decorated/") == [200, 200, 200]  # GET is not limited


def test_decorator_on_an_async_view() -> None:
    async def run() -> list[int]:
        client = AsyncClient()
        statuses = [(await client.get("/adecorated/")).status_code for _ in range(3)]
        await get_limiter().aclose()
        return statuses

    assert asyncio.run(run()) == [200, 200, 429]


@pytest.mark.limits(rules="GET /api/ 3/m ip")
def test_head_is_counted_under_a_get_rule() -> None:
    client = Client()
    heads = [client.head("/api/ok/").status_code for _ in range(3)]
    assert heads == [200, 200, 200]
    assert client.get("/api/ok/").status_code == 429
    assert client.head("/api/ok/").status_code == 429


@pytest.mark.limits(rules="POST /api/ 1/m ip")
def test_a_post_rule_does_not_count_head_or_get() -> None:
    client = Client()
    assert _statuses(client, 3) == [200, 200, 200]
    assert [client.head("/api/ok/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.limits(rules="GET /api/ 3/h ip; GET /api/ok/ 2/m ip")
def test_retry_after_covers_every_rule_with_nothing_left() -> None:
    client = Client()
    assert _statuses(client, 2) == [200, 200]
    refused = client.get("/api/ok/")
    # The minute rule refused; the hour rule is now at its limit too, so only
    # its reset lets the next request through.
    assert refused.status_code == 429
    resets = {
        name: (int(left), int(reset))
        for name, left, reset in re.findall(r'"([^"]+)";r=(\d+);t=(\d+)', refused["RateLimit"])
    }
    assert sorted(left for left, _ in resets.values()) == [0, 0]
    latest = max(reset for _, reset in resets.values())
    assert refused["Retry-After"] == str(latest)
    assert json.loads(refused.content)["retry_after"] == latest


def test_a_cluster_down_at_start_follows_the_policy() -> None:
    for fail_open, status in ((True, 200), (False, 503)):
        settings = limit_settings(
            "/api/ 3/m ip", redis_url=_closed_port_url(), FAIL_OPEN=fail_open, REDIS_CLUSTER=True
        )
        with override_settings(PRODREADY=settings):
            assert _statuses(Client(), 5) == [status] * 5
            get_limiter().close()


def _closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def test_store_down_fail_closed_answers_503_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = limit_settings("/api/ 3/m ip", redis_url=_closed_port_url(), FAIL_OPEN=False)
    with override_settings(PRODREADY=settings), caplog.at_level(logging.WARNING, "prodready"):
        client = Client()
        responses = [client.get("/api/ok/") for _ in range(20)]
        get_limiter().close()
    assert {r.status_code for r in responses} == {503}
    assert responses[0].headers["Retry-After"] == "1"
    assert responses[0].headers["Cache-Control"] == "no-store"
    assert json.loads(responses[0].content)["error"] == "rate_limit_unavailable"
    warnings = [r.getMessage() for r in caplog.records if r.name == "prodready.ratelimit"]
    assert len(warnings) == 1
    assert warnings[0].startswith("rate-limit store unavailable (ConnectionError: ")
    assert warnings[0].endswith("; refusing requests with 503 until it answers again")


def test_store_down_fail_open_serves_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    settings = limit_settings("/api/ 3/m ip", redis_url=_closed_port_url(), FAIL_OPEN=True)
    with override_settings(PRODREADY=settings), caplog.at_level(logging.WARNING, "prodready"):
        client = Client()
        responses = [client.get("/api/ok/") for _ in range(20)]
        get_limiter().close()
    assert {r.status_code for r in responses} == {200}
    assert "RateLimit" not in responses[0].headers
    warnings = [r for r in caplog.records if r.name == "prodready.ratelimit"]
    assert len(warnings) == 1


@pytest.mark.django_db
@pytest.mark.limits(rules="POST /api/ingest/ 100/h user; GET /api/ 1000/h ip")
def test_seed_check_101st_ingest_is_429_and_keyed_by_user() -> None:
    alice = issue_token(User.objects.create_user("alice"))
    bob = issue_token(User.objects.create_user("bob"))
    client = Client()

    def post(token: str) -> int:
        upload = SimpleUploadedFile("items.csv", b"title,rights_holder\nOde,Ann\n", "text/csv")
        return client.post(
            "/api/ingest/", {"file": upload}, HTTP_AUTHORIZATION=f"Token {token}"
        ).status_code

    statuses = [post(alice) for _ in range(101)]
    assert statuses[:100] == [201] * 100
    assert statuses[100] == 429
    # Same address, another user: a quota of its own.
    assert post(bob) == 201


@pytest.mark.django_db
@pytest.mark.limits(
    rules="POST /api/ingest/ 2/h user",
    middleware=[
        "prodready.ratelimit.RateLimitMiddleware",  # wrong: before authentication
        "demo.catalog.auth.TokenAuthenticationMiddleware",
    ],
)
def test_ratelimit_before_authentication_cannot_see_the_user() -> None:
    # Documents why RateLimitMiddleware must come after the authenticating one:
    # placed before it, a 'user' rule sees only anonymous requests and never applies.
    token = issue_token(User.objects.create_user("carol"))
    client = Client()
    statuses = []
    for _ in range(3):
        upload = SimpleUploadedFile("items.csv", b"title,rights_holder\nOde,Ann\n", "text/csv")
        statuses.append(
            client.post(
                "/api/ingest/", {"file": upload}, HTTP_AUTHORIZATION=f"Token {token}"
            ).status_code
        )
    assert statuses == [201, 201, 201]


def test_decorator_speaks_django_ratelimits_dialect() -> None:
    # "2/minute" and method="POST" (a string: once read letter by letter, so that
    # POST never matched and nothing was limited): the third POST is refused.
    client = Client()
    assert [client.post("/api/dialect/").status_code for _ in range(3)] == [200, 200, 429]


def test_a_decorators_refusal_carries_its_own_policy() -> None:
    # The middleware's rule (/api/ 3/m ip) also covers this view; the 429 is the
    # decorator's (2/m), and so are its headers.
    client = Client()
    responses = [client.post("/api/dialect/") for _ in range(3)]
    assert responses[2].status_code == 429
    assert ";q=2;w=60" in responses[2]["RateLimit-Policy"]
    assert ";q=3;" not in responses[2]["RateLimit-Policy"]


def test_decorator_without_blocking_flags_the_request() -> None:
    client = Client()
    bodies = [client.post("/flagged/").content for _ in range(3)]
    assert bodies == [b"fine", b"fine", b"limited"]


def test_a_method_string_is_not_read_letter_by_letter() -> None:
    from prodready.ratelimit import ratelimit

    with pytest.raises(ValueError, match="not both"):
        ratelimit("1/m", methods="POST", method="POST")
