"""The load tests read the app's own variables, with the app's precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready_loadtest.expectations import ExpectationError, read_expectations

EMPTY = str(Path(__file__).resolve().parents[1] / "no-config-here")


def _env(**values: str) -> dict[str, str]:
    return {"PRODREADY_BASE_DIR": EMPTY, "PRODREADY_SECRETS_DIR": EMPTY, **values}


def test_bounds_come_from_web_concurrency_and_the_pool_size() -> None:
    found = read_expectations(
        _env(
            DATABASE_URL="postgres://app@db:5432/shop",
            WEB_CONCURRENCY="3",
            DB_POOL_MAX_SIZE="5",
            RATELIMIT_RULES="GET /api/ 10/m ip",
        )
    )
    assert found.pool_mode == "native"
    assert found.backend_bound() == (15, "WEB_CONCURRENCY 3 × DB_POOL_MAX_SIZE 5")
    assert found.opened_bound()[0] == 0
    assert (found.dbname, found.sample_url) == ("shop", "postgres://app@db:5432/shop")
    assert [rule.rate.limit for rule in found.rules] == [10]


def test_behind_pgbouncer_the_sampler_needs_a_direct_url() -> None:
    found = read_expectations(
        _env(DATABASE_URL="postgres://app@bouncer:6432/shop", DB_POOL_MODE="pgbouncer")
    )
    assert found.sample_url is None
    assert found.backend_bound()[0] == found.workers * found.pool_max
    direct = read_expectations(
        _env(
            DATABASE_URL="postgres://app@bouncer:6432/shop",
            DB_POOL_MODE="pgbouncer",
            LOADTEST_PG_URL="postgres://admin@db:5432/postgres",
            LOADTEST_PGBOUNCER_POOL_SIZE="20",
        )
    )
    assert direct.sample_url == "postgres://admin@db:5432/postgres"
    assert direct.dbname == "shop"
    assert direct.backend_bound() == (20, "pgbouncer's default_pool_size")
    assert direct.opened_bound()[0] == 20


def test_the_profile_file_counts_like_for_the_app(tmp_path: Path) -> None:
    (tmp_path / "config_profiles").mkdir()
    (tmp_path / "config_profiles" / "prod.env").write_text(
        "WEB_CONCURRENCY=4\nHEALTH_TIMEOUT=0.5\n"
    )
    found = read_expectations(
        {"PRODREADY_BASE_DIR": str(tmp_path), "PRODREADY_SECRETS_DIR": EMPTY, "APP_PROFILE": "prod"}
    )
    assert (found.workers, found.health_timeout) == (4, 0.5)


def test_tokens_and_their_count() -> None:
    assert read_expectations(_env(LOADTEST_TOKENS="a, b,")).tokens == ("a", "b")
    assert read_expectations(_env(LOADTEST_TOKENS="a,b")).token_count == 2
    assert read_expectations(_env()).token_count == 3


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEB_CONCURRENCY", "two", "WEB_CONCURRENCY='two' is not valid; expected a whole number"),
        ("RATELIMIT_RULES", "GET /api/ lots", "RATELIMIT_RULES: rule 1"),
    ],
    ids=["number", "rules"],
)
def test_malformed_values_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ExpectationError, match=message):
        read_expectations(_env(**{name: value}))


@pytest.mark.parametrize(
    ("raw", "enabled"), [("off", False), ("no", False), ("on", True), ("", True)]
)
def test_booleans_and_defaults_are_read_as_the_app_reads_them(raw: str, enabled: bool) -> None:
    # The profile model parses them (pydantic's bool) and gives the defaults.
    assert read_expectations(_env(RATELIMIT_ENABLED=raw)).ratelimit_enabled is enabled


def test_the_postgres_schemes_are_django_environs() -> None:
    import environ

    from prodready.settings.database import is_postgres
    from prodready.settings.profiles import POSTGRES_SCHEMES

    table = environ.Env.DB_SCHEMES
    assert {s for s, engine in table.items() if is_postgres({"ENGINE": engine})} == POSTGRES_SCHEMES
