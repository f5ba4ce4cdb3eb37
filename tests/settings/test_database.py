"""DATABASES for each pool mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prodready import ConfigurationError, Profile
from prodready.deadlines import check_connection
from tests.settings.conftest import prod_env

URL = "postgres://app:s3cret-pw@db.internal:5432/appdb"
COMMON = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "appdb",
    "USER": "app",
    "PASSWORD": "s3cret-pw",
    "HOST": "db.internal",
    "PORT": 5432,
}


def _db(load: Callable[..., Profile], **env: str) -> dict[str, Any]:
    databases: dict[str, Any] = load(**prod_env(**{"DATABASE_URL": URL, **env})).django_settings()[
        "DATABASES"
    ]
    assert list(databases) == ["default"]
    result: dict[str, Any] = databases["default"]
    return result


def test_native_mode_is_the_default_on_postgres(load: Callable[..., Profile]) -> None:
    assert _db(load) == {
        **COMMON,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "connect_timeout": 5,
            "options": "-c statement_timeout=30000",
            "pool": {"min_size": 2, "max_size": 4, "timeout": 10.0, "check": check_connection},
        },
    }


def test_native_pool_takes_its_sizes_from_the_environment(load: Callable[..., Profile]) -> None:
    db = _db(load, DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="8", DB_POOL_TIMEOUT="2.5")
    assert db["OPTIONS"]["pool"] == {
        "min_size": 1,
        "max_size": 8,
        "timeout": 2.5,
        "check": check_connection,
    }


def test_persistent_mode_keeps_connections_with_health_checks(
    load: Callable[..., Profile],
) -> None:
    assert _db(load, DB_POOL_MODE="persistent") == {
        **COMMON,
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5, "options": "-c statement_timeout=30000"},
    }
    assert _db(load, DB_POOL_MODE="persistent", DB_CONN_MAX_AGE="60")["CONN_MAX_AGE"] == 60


def test_pgbouncer_mode_disables_server_cursors_and_prepared_statements(
    load: Callable[..., Profile],
) -> None:
    assert _db(load, DB_POOL_MODE="pgbouncer") == {
        **COMMON,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "OPTIONS": {"connect_timeout": 5, "prepare_threshold": None},
    }


def test_off_mode_opens_a_connection_per_request(load: Callable[..., Profile]) -> None:
    assert _db(load, DB_POOL_MODE="off", DB_STATEMENT_TIMEOUT="0") == {
        **COMMON,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"connect_timeout": 5},
    }


def test_url_options_are_kept(load: Callable[..., Profile]) -> None:
    db = _db(load, DATABASE_URL=URL + "?sslmode=require")
    assert db["OPTIONS"]["sslmode"] == "require"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("", "off"), ("persistent", "persistent"), ("off", "off")],
    ids=["auto", "persistent", "off"],
)
def test_sqlite_gets_no_pool(load: Callable[..., Profile], mode: str, expected: str) -> None:
    profile = load(DB_POOL_MODE=mode)
    assert profile.resolved_pool_mode == expected
    db = profile.django_settings()["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "OPTIONS" not in db


@pytest.mark.parametrize("mode", ["persistent", "pgbouncer", "off"])
def test_threads_over_the_connection_budget_are_refused_without_the_native_pool(
    load: Callable[..., Profile], mode: str
) -> None:
    env = prod_env(
        DB_POOL_MODE=mode, WEB_CONCURRENCY="4", ASGI_THREADS="10", DB_MAX_CONNECTIONS="30"
    )
    with pytest.raises(ConfigurationError) as info:
        load(**env)
    assert [str(p) for p in info.value.problems] == [
        f"ASGI_THREADS: is 10 and WEB_CONCURRENCY is 4: with DB_POOL_MODE={mode} each worker "
        "thread can hold a connection, 4 × 10 = 40 connections, over DB_MAX_CONNECTIONS=30; "
        "lower ASGI_THREADS to at most 7, or use DB_POOL_MODE=native."
    ]


def test_unset_threads_count_as_the_pool_size_against_the_budget(
    load: Callable[..., Profile],
) -> None:
    env = prod_env(DB_POOL_MODE="persistent", WEB_CONCURRENCY="2", DB_MAX_CONNECTIONS="5")
    with pytest.raises(ConfigurationError) as info:
        load(**env)
    assert [p.variable for p in info.value.problems] == ["ASGI_THREADS"]
    assert "2 × 4 = 8 connections" in str(info.value.problems[0])
    assert "lower ASGI_THREADS to at most 2" in str(info.value.problems[0])


def test_threads_that_fill_the_budget_exactly_are_accepted(load: Callable[..., Profile]) -> None:
    env = prod_env(
        DB_POOL_MODE="persistent", WEB_CONCURRENCY="4", ASGI_THREADS="7", DB_MAX_CONNECTIONS="28"
    )
    assert load(**env).django_settings()["PRODREADY"]["ASGI_THREADS"] == 7


def test_the_native_pool_bounds_the_connections_whatever_the_threads(
    load: Callable[..., Profile],
) -> None:
    # 4 × DB_POOL_MAX_SIZE=4 = 16 connections fit; the 50 threads share them.
    env = prod_env(WEB_CONCURRENCY="4", ASGI_THREADS="50", DB_MAX_CONNECTIONS="30")
    assert load(**env).django_settings()["PRODREADY"]["ASGI_THREADS"] == 50
