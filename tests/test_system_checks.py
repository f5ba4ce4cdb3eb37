"""prodready's Django system checks, compared by id."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings

# The checks read DATABASES as given; no connection is opened.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

PG = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "app",
    "CONN_MAX_AGE": 0,
    "OPTIONS": {},
}


def _ids(**settings: Any) -> list[str]:
    # Settings written by hand: no profile's fingerprint to hold them to (prodready.E006).
    settings.setdefault("PRODREADY_GENERATED", None)
    with override_settings(**settings):
        return sorted(m.id for m in checks.run_checks(tags=["prodready"]) if m.id)


def _pg(**overrides: Any) -> dict[str, Any]:
    return {"default": {**PG, **overrides}}


def _prodready(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "PROFILE": "dev",
        "DB_POOL_MODE": "native",
        "WEB_CONCURRENCY": 1,
        "REDIS_URL": None,
        "RATELIMIT": {"ENABLED": True, "RULES": "", "TRUSTED_PROXIES": 0, "FAIL_OPEN": True},
    }
    base.update(overrides)
    return base


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
RULES = {"ENABLED": True, "RULES": "GET /api/ 10/m ip", "TRUSTED_PROXIES": 0, "FAIL_OPEN": True}

CASES = [
    ({"DATABASES": _pg(OPTIONS={"pool": {"max_size": 4}})}, []),
    ({"DATABASES": _pg(CONN_MAX_AGE=600), "ASGI_APPLICATION": "x.asgi.app"}, ["prodready.E001"]),
    ({"DATABASES": _pg(CONN_MAX_AGE=None), "ASGI_APPLICATION": "x.asgi.app"}, ["prodready.E001"]),
    ({"DATABASES": _pg(CONN_MAX_AGE=600), "ASGI_APPLICATION": None}, []),
    ({"DATABASES": _pg(CONN_MAX_AGE=60, OPTIONS={"pool": True})}, ["prodready.E002"]),
    (
        {"DATABASES": _pg(), "PRODREADY": _prodready(DB_POOL_MODE="pgbouncer")},
        ["prodready.E003"],
    ),
    (
        {
            "DATABASES": _pg(
                DISABLE_SERVER_SIDE_CURSORS=True,
                OPTIONS={"server_side_binding": True, "prepare_threshold": 5},
            ),
            "PRODREADY": _prodready(DB_POOL_MODE="pgbouncer"),
        },
        ["prodready.E004"],
    ),
    (
        {
            "DATABASES": _pg(DISABLE_SERVER_SIDE_CURSORS=True, OPTIONS={"prepare_threshold": None}),
            "PRODREADY": _prodready(DB_POOL_MODE="pgbouncer"),
        },
        [],
    ),
    ({"DATABASES": _pg(OPTIONS={"pool_size": 10, "max_overflow": 5})}, ["prodready.E005"] * 2),
    (
        {"CACHES": LOCMEM, "PRODREADY": _prodready(WEB_CONCURRENCY=2, RATELIMIT=RULES)},
        ["prodready.W001"],
    ),
    ({"CACHES": LOCMEM, "PRODREADY": _prodready(WEB_CONCURRENCY=1, RATELIMIT=RULES)}, []),
    ({"PRODREADY": _prodready(PROFILE="prod", RATELIMIT=RULES)}, ["prodready.W002"]),
    (
        {"PRODREADY": _prodready(PROFILE="prod", RATELIMIT=RULES, REDIS_URL="redis://r:6379/0")},
        [],
    ),
    ({"CACHES": LOCMEM, "PRODREADY": _prodready(WEB_CONCURRENCY=2)}, []),
    (
        {
            "CACHES": LOCMEM,
            "PRODREADY": _prodready(WEB_CONCURRENCY=2, RATELIMIT={**RULES, "ENABLED": False}),
        },
        [],
    ),
]


@pytest.mark.parametrize(
    ("settings", "expected"),
    CASES,
    ids=[
        "native-pool-ok",
        "asgi-conn-max-age",
        "asgi-unlimited-conn-max-age",
        "wsgi-conn-max-age-ok",
        "pool-with-persistent",
        "pgbouncer-without-preset",
        "pgbouncer-prepared-statements",
        "pgbouncer-with-preset",
        "sqlalchemy-options",
        "locmem-ratelimit-several-workers",
        "locmem-ratelimit-one-worker",
        "prod-ratelimit-without-redis",
        "prod-ratelimit-with-redis",
        "locmem-no-rules",
        "locmem-ratelimit-disabled",
    ],
)
def test_check_ids(settings: dict[str, Any], expected: list[str]) -> None:
    settings.setdefault("DATABASES", _pg())
    settings.setdefault("PRODREADY", _prodready())
    assert _ids(**settings) == expected


def test_every_message_has_a_hint() -> None:
    with override_settings(
        DATABASES=_pg(
            CONN_MAX_AGE=60,
            OPTIONS={
                "pool": True,
                "pool_size": 1,
                "server_side_binding": True,
                "prepare_threshold": 5,
            },
        ),
        PRODREADY=_prodready(
            PROFILE="prod", DB_POOL_MODE="pgbouncer", WEB_CONCURRENCY=3, RATELIMIT=RULES
        ),
        CACHES=LOCMEM,
    ):
        messages = checks.run_checks(tags=["prodready"])
    # Six of the hand-written settings, plus E006 for those that replace the profile's.
    replaced = sorted(m.msg.split(" ")[0] for m in messages if m.id == "prodready.E006")
    assert replaced == ["CACHES", "DATABASES"]
    assert len(messages) == 6 + len(replaced)
    assert all(m.hint for m in messages)


def test_a_generated_setting_replaced_below_the_snippet_is_an_error() -> None:
    # The test settings come from the dev profile (DEBUG on, which the test runner
    # turns off: not a misplaced snippet); a key of startproject's replacing the
    # profile's is one, and so is DEBUG on where the profile had it off.
    with override_settings(ALLOWED_HOSTS=["*"], SECRET_KEY="django-insecure-x" * 4):
        messages = [m for m in checks.run_checks(tags=["prodready"]) if m.id == "prodready.E006"]
    assert sorted(m.msg.split(" ")[0] for m in messages) == ["ALLOWED_HOSTS", "SECRET_KEY"]
    assert all("Put the snippet last in settings.py" in (m.hint or "") for m in messages)
    assert all("django-insecure" not in m.msg for m in messages)  # values are never shown


def test_the_profiles_own_settings_pass() -> None:
    assert not [m for m in checks.run_checks(tags=["prodready"]) if m.id == "prodready.E006"]


def test_a_misspelt_variable_is_a_system_check_warning() -> None:
    prodready = {**settings.PRODREADY, "WARNINGS": ["DB_POOL_MAX_SIZ: is not a variable ..."]}
    with override_settings(PRODREADY=prodready):
        messages = [m for m in checks.run_checks(tags=["prodready"]) if m.id == "prodready.W003"]
    assert [m.msg for m in messages] == ["DB_POOL_MAX_SIZ: is not a variable ..."]
