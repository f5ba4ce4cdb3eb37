"""The demo's shipped rate-limit rules (config_profiles/*.env), through its real views.

The tests' settings read no profile file of the repository, so these tests load
RATELIMIT_RULES from config_profiles/dev.env themselves: what they exercise is
the text the demo ships.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from dotenv import dotenv_values

from demo.catalog.models import CopyrightItem
from demo.catalog.tokens import issue_token
from prodready.ratelimit.process import get_limiter
from tests.demo.helpers import XLSX_TYPE, upload, xlsx
from tests.servers import REPO, unique_prefix

INGEST = "/api/ingest/"
INGEST_RULE = "POST /api/ingest/ 100/h user_or_ip"
WORKBOOK = xlsx([["title", "rights_holder", "year"], ["Ulysses", "James Joyce", 1922]])


def _shipped_rules(profile: str = "dev") -> str:
    rules = dotenv_values(REPO / "config_profiles" / f"{profile}.env").get("RATELIMIT_RULES")
    assert rules, f"config_profiles/{profile}.env sets no RATELIMIT_RULES"
    return rules


@pytest.fixture
def shipped_limits() -> Iterator[None]:
    """Run the test under the dev profile's rules, with counters of its own in local memory."""
    ratelimit = {
        **settings.PRODREADY["RATELIMIT"],
        "ENABLED": True,
        "RULES": _shipped_rules(),
        "KEY_PREFIX": unique_prefix(),
    }
    with override_settings(
        PRODREADY={**settings.PRODREADY, "REDIS_URL": None, "RATELIMIT": ratelimit},
        # As in demo.settings: after the token authentication, so rules see the user.
        MIDDLEWARE=[*settings.MIDDLEWARE, "prodready.ratelimit.RateLimitMiddleware"],
    ):
        yield
        get_limiter().close()


def _post(client: Client, token: str, **extra: Any) -> int:
    # A fresh upload each time: the view reads the file to its end.
    file = upload(WORKBOOK, "test.xlsx", XLSX_TYPE)
    response = client.post(INGEST, {"file": file}, HTTP_AUTHORIZATION=f"Token {token}", **extra)
    return response.status_code


@pytest.mark.parametrize("profile", ["dev", "staging", "prod"])
def test_every_profile_ships_the_ingest_rule_keyed_by_user_or_ip(profile: str) -> None:
    assert INGEST_RULE in _shipped_rules(profile).split("; ")


@pytest.mark.usefixtures("shipped_limits")
def test_seed_check_101_xlsx_ingests_give_100_created_then_429(token: str) -> None:
    client = Client()

    statuses = [_post(client, token) for _ in range(101)]

    assert statuses == [201] * 100 + [429]
    assert CopyrightItem.objects.count() == 100


@pytest.mark.usefixtures("shipped_limits")
def test_guessed_tokens_from_one_address_give_100_unauthorized_then_429(user: User) -> None:
    client = Client()

    statuses = [_post(client, secrets.token_urlsafe(32)) for _ in range(130)]

    assert statuses == [401] * 100 + [429] * 30
    # Another address has a quota of its own; a real user behind the guessing
    # address is counted as a user, so the guesses do not lock them out.
    assert _post(client, secrets.token_urlsafe(32), REMOTE_ADDR="192.0.2.7") == 401
    assert _post(client, issue_token(user)) == 201
