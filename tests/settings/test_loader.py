"""Validation: every rule has a message; no message ever carries a secret."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from prodready import ConfigurationError, Profile, load_profile
from tests.settings.conftest import PROD_KEY, prod_env

SECRETS = ("s3cret-pw", "db.internal", PROD_KEY, "r3dis-pw", "tok-3n-Zq8xW2pLm4")

CASES = [
    (
        {"DB_POOL_MAX_SIZE": "abc"},
        "DB_POOL_MAX_SIZE: 'abc' (from environment) is not valid; expected a whole number "
        "from 1 to 1000, e.g. DB_POOL_MAX_SIZE=4.",
    ),
    (
        {"DB_POOL_MIN_SIZE": "-1"},
        "DB_POOL_MIN_SIZE: '-1' (from environment) is not valid; expected a whole number "
        "from 0 to 1000, e.g. DB_POOL_MIN_SIZE=2.",
    ),
    (
        {"DB_POOL_TIMEOUT": "-2"},
        "DB_POOL_TIMEOUT: '-2' (from environment) is not valid; expected a number of seconds "
        "from 0 to 3600, e.g. DB_POOL_TIMEOUT=10.",
    ),
    (
        {"HEALTH_TIMEOUT": "0"},
        "HEALTH_TIMEOUT: '0' (from environment) is not valid; expected a number of seconds "
        "> 0 and ≤ 60, e.g. HEALTH_TIMEOUT=0.8.",
    ),
    (
        {"DEBUG": "maybe"},
        "DEBUG: 'maybe' (from environment) is not valid; expected true or false, e.g. DEBUG=false.",
    ),
    (
        {"DB_POOL_MODE": "turbo"},
        "DB_POOL_MODE: 'turbo' (from environment) is not valid; expected one of native, "
        "persistent, pgbouncer, off, e.g. DB_POOL_MODE=native.",
    ),
    (
        {"APP_PROFILE": "qa"},
        "APP_PROFILE: unknown profile 'qa'; expected one of dev, staging, prod.",
    ),
    (
        {"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "3"},
        "DB_POOL_MIN_SIZE: is 5, larger than DB_POOL_MAX_SIZE=3; make DB_POOL_MIN_SIZE at most "
        "DB_POOL_MAX_SIZE.",
    ),
    (
        {"DATABASE_URL": "mongodb://u:s3cret-pw@db.internal/x"},
        "DATABASE_URL: the URL has 'mongodb'; expected a scheme django-environ knows "
        "(postgres, postgresql, sqlite, mysql, oracle, ...).",
    ),
    (
        {"REDIS_URL": "http://:r3dis-pw@db.internal:6379/0"},
        "REDIS_URL: the URL has 'http'; expected redis://, rediss:// or unix:// "
        "(e.g. redis://HOST:6379/0).",
    ),
    (
        {"REDIS_URL": "redis://:r3dis/pw@db.internal:6379/0"},
        "REDIS_URL: the URL does not parse: it holds an '@' after the host, so a raw '/' or "
        "'?' in the password cut it short; percent-encode reserved characters in the user "
        "name and password (%2F for /, %40 for @, %23 for #, %3F for ?, %3A for :, %25 for %, "
        "%20 for a space).",
    ),
    (
        {"RATELIMIT_TRUSTED_PROXIES": "10.0.0.1/8"},
        "RATELIMIT_TRUSTED_PROXIES: '10.0.0.1/8' (from environment) is not valid: "
        "'10.0.0.1/8' has host bits set; write the network, e.g. 10.0.0.0/8.",
    ),
    (
        {"RATELIMIT_TRUSTED_PROXIES": "10.0.0.0/8, proxy"},
        "RATELIMIT_TRUSTED_PROXIES: '10.0.0.0/8, proxy' (from environment) is not valid: "
        "'proxy' is not an IP address or CIDR network.",
    ),
    (
        {"RATELIMIT_TRUSTED_PROXIES": "-1"},
        "RATELIMIT_TRUSTED_PROXIES: '-1' (from environment) is not valid: the hop count -1 "
        "is negative; use 0 or more.",
    ),
    (
        {"DEBUG": "true"},
        "DEBUG: is true, which the prod profile refuses; set DEBUG=false.",
    ),
    (
        {"SECRET_KEY": ""},
        "SECRET_KEY: is required in the prod profile; generate one with python -c 'import "
        "secrets; print(secrets.token_urlsafe(50))'.",
    ),
    (
        {"SECRET_KEY": "tok-3n-too-short"},
        "SECRET_KEY: is 16 characters long; prod needs at least 50 random characters.",
    ),
    (
        {"SECRET_KEY": "django-insecure-" + PROD_KEY},
        "SECRET_KEY: starts with 'django-insecure-', the prefix of development keys; generate "
        "a new random key for prod.",
    ),
    (
        {"ALLOWED_HOSTS": " , "},
        "ALLOWED_HOSTS: is empty, so the prod profile would answer every request with 400; "
        "list the site's host names, e.g. ALLOWED_HOSTS=api.example.com.",
    ),
    (
        {"DATABASE_URL": ""},
        "DATABASE_URL: is required in the prod profile; set it to a URL such as "
        "postgres://USER:PASSWORD@HOST:5432/NAME.",
    ),
    (
        {"DB_CONN_MAX_AGE": "60"},
        "DB_CONN_MAX_AGE: is 60 but Django's native pool does not support persistent "
        "connections; set DB_CONN_MAX_AGE=0 or DB_POOL_MODE=persistent.",
    ),
    (
        {"WEB_CONCURRENCY": "4", "DB_POOL_MAX_SIZE": "10", "DB_MAX_CONNECTIONS": "30"},
        "DB_MAX_CONNECTIONS: is 30 but WEB_CONCURRENCY × DB_POOL_MAX_SIZE = 4 × 10 = 40 "
        "connections, 10 over the budget; lower DB_POOL_MAX_SIZE to 7 or fewer, or raise "
        "DB_MAX_CONNECTIONS.",
    ),
    (
        {"WEB_CONCURRENCY": "8", "DB_MAX_CONNECTIONS": "4"},
        "DB_MAX_CONNECTIONS: is 4 but WEB_CONCURRENCY × DB_POOL_MAX_SIZE = 8 × 4 = 32 "
        "connections, 28 over the budget; lower WEB_CONCURRENCY, or raise DB_MAX_CONNECTIONS.",
    ),
    (
        {"DATABASE_URL": "postgres://app:s3cret-pw@db.internal:5432/appdb?pool_size=20"},
        "DATABASE_URL: 'pool_size' is a SQLAlchemy option that Django does not understand; "
        "remove it and use DB_POOL_MAX_SIZE (and DB_POOL_MIN_SIZE).",
    ),
    (
        {"DATABASE_URL": "postgres://app:s3cret-pw@db.internal:5432/appdb?max_overflow=5"},
        "DATABASE_URL: 'max_overflow' is a SQLAlchemy option that Django does not understand; "
        "remove it and use DB_POOL_MAX_SIZE (psycopg's pool has no overflow).",
    ),
    (
        {"DB_POOL_SIZE": "20"},
        "DB_POOL_SIZE: is a SQLAlchemy-style setting (set in environment) that prodready does "
        "not read; use DB_POOL_MAX_SIZE instead.",
    ),
    (
        {"DATABASE_URL": "sqlite:////tmp/app.db", "DB_POOL_MODE": "native"},
        "DB_POOL_MODE: 'native' needs PostgreSQL but DATABASE_URL names another database; use "
        "DB_POOL_MODE=persistent or off.",
    ),
    (
        {"DATABASE_URL": "sqlite:////tmp/app.db", "DB_POOL_MODE": "pgbouncer"},
        "DB_POOL_MODE: 'pgbouncer' needs PostgreSQL but DATABASE_URL names another database; "
        "use DB_POOL_MODE=persistent or off.",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "message"), CASES, ids=[next(iter(c[0])) + f"-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_gives_one_line_naming_the_variable(
    overrides: dict[str, str], message: str, project: object, load: Callable[..., Profile]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(**overrides))
    assert [str(p) for p in info.value.problems] == [message]
    assert info.value.code == str(info.value)
    for secret in SECRETS:
        assert secret not in str(info.value)


def test_every_problem_is_listed_in_one_pass(load: Callable[..., Profile]) -> None:
    env = prod_env(
        DEBUG="true",
        SECRET_KEY="short",
        DB_POOL_MAX_SIZE="abc",
        REDIS_URL="http://x",
        DATABASE_URL="postgres://app:s3cret-pw@db.internal/appdb?pool_size=3",
    )
    with pytest.raises(ConfigurationError) as info:
        load(**env)
    assert [p.variable for p in info.value.problems] == [
        "DB_POOL_MAX_SIZE",
        "SECRET_KEY",
        "DEBUG",
        "DATABASE_URL",
        "REDIS_URL",
    ]


def test_a_secret_field_with_a_bad_type_is_reported_without_its_value(
    load: Callable[..., Profile],
) -> None:
    # A malformed value in a field that is secret must never be echoed.
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(DB_POOL_MAX_SIZE="four-ish"))
    assert "four-ish" in str(info.value)  # not a secret field: echoing helps the operator
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(DB_POOL_MAX_SIZE="s3cret-pw"))
    # ... unless it is the value of a secret (here DATABASE_URL's password).
    assert "s3cret-pw" not in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(SECRET_KEY="short-tok-3n-Zq8xW2pLm4"))
    assert "tok-3n-Zq8xW2pLm4" not in str(info.value)


def test_missing_required_setting_hides_the_secrets_that_are_set(
    load: Callable[..., Profile], caplog: pytest.LogCaptureFixture
) -> None:
    env = prod_env(
        ALLOWED_HOSTS="",
        REDIS_URL="redis://:r3dis-pw@db.internal:6379/0",
        HEALTH_TOKEN="tok-3n-Zq8xW2pLm4",
    )
    with pytest.raises(ConfigurationError) as info:
        load(**env)
    error = info.value
    rendered = [str(error), repr(error), json.dumps([str(p) for p in error.problems]), caplog.text]
    for text in rendered:
        for secret in SECRETS:
            assert secret not in text


def test_repr_and_json_of_a_valid_profile_hide_secrets(load: Callable[..., Profile]) -> None:
    profile = load(
        **prod_env(
            REDIS_URL="redis://:r3dis-pw@db.internal:6379/0", HEALTH_TOKEN="tok-3n-Zq8xW2pLm4"
        )
    )
    for text in (repr(profile), str(profile), profile.model_dump_json()):
        for secret in SECRETS:
            assert secret not in text


def test_complete_prod_profile_is_valid(load: Callable[..., Profile]) -> None:
    profile = load(**prod_env())
    assert profile.app_profile == "prod"
    assert profile.resolved_pool_mode == "native"


def test_configuration_error_exits_with_status_one_and_no_traceback() -> None:
    error = ConfigurationError([], "prod")
    assert isinstance(error, SystemExit)
    with pytest.raises(SystemExit) as info:
        load_profile({"APP_PROFILE": "qa"})
    assert info.value.code == (
        "prodready: the qa configuration has 1 problem:\n"
        "  - APP_PROFILE: unknown profile 'qa'; expected one of dev, staging, prod."
    )


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("GET /api/ 1/99999999999999999999d", "window longer than 365 days"),
        ("GET /api/ 1000000000001/h", "more than 10**12 requests per window"),
    ],
    ids=["window", "limit"],
)
def test_absurd_rate_is_refused_before_it_reaches_the_store(
    rule: str, reason: str, load: Callable[..., Profile]
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(RATELIMIT_RULES=rule))
    assert [p.variable for p in info.value.problems] == ["RATELIMIT_RULES"]
    assert reason in str(info.value.problems[0])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATELIMIT_TIMEOUT", "inf"),
        ("RATELIMIT_TIMEOUT", "nan"),
        ("RATELIMIT_TIMEOUT", "1e9"),
        ("HEALTH_TIMEOUT", "inf"),
        ("HEALTH_DRAIN_SECONDS", "-inf"),
        ("DB_POOL_TIMEOUT", "1e308"),
        ("DB_POOL_MAX_SIZE", "99999999999999999999"),
        ("WEB_CONCURRENCY", "1e3"),
        ("RATELIMIT_TRUSTED_PROXIES", "1e20"),
        ("HEALTH_TOKEN", "a"),
        ("HEALTH_TOKEN", "aaaaaaaaaaaaaaaaaaaaaaaa"),
        ("ALLOWED_HOSTS", "*"),
        ("ALLOWED_HOSTS", "api.example.com,*"),
    ],
)
def test_nonsense_is_refused_in_one_line_naming_the_variable(
    load: Callable[..., Profile], variable: str, value: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(**{variable: value}))
    assert [p.variable for p in info.value.problems] == [variable]
    if variable == "HEALTH_TOKEN" and len(value) > 1:
        assert value not in str(info.value)  # a secret: not echoed


def test_a_wildcard_host_is_still_allowed_outside_prod(load: Callable[..., Profile]) -> None:
    assert load(APP_PROFILE="dev", ALLOWED_HOSTS="*").allowed_hosts == ("*",)


def test_a_long_key_of_few_characters_is_refused_for_what_it_is(
    load: Callable[..., Profile],
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(SECRET_KEY="ab" * 30))
    (problem,) = info.value.problems
    assert str(problem).startswith("SECRET_KEY: uses only 2 different characters")
    assert "60 characters long" not in str(problem)
