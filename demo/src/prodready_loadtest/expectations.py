"""What the load tests expect of the app, read from the variables the app itself reads.

The locustfiles run with the app's environment: the same ``APP_PROFILE``,
``config_profiles/<profile>.env``, ``.env`` and secret files, in the same
order of precedence (:func:`prodready.settings.sources.collect`), and each is
validated with its default by the profile model itself
(:func:`prodready.settings.profiles.read_variable`). So ``WEB_CONCURRENCY``,
``DB_POOL_MAX_SIZE``, ``RATELIMIT_RULES``... mean to the checks exactly what
they mean to the app. Values are read without validating the whole profile,
since a load generator need not hold the app's secrets, and without importing
Django: Locust runs against any deployment.

Variables of the load tests themselves start with ``LOADTEST_`` (listed in
docs/performance.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prodready.ratelimit.rules import Rule, parse_rules
from prodready.settings.profiles import POSTGRES_SCHEMES, pool_mode_in_force, read_variable
from prodready.settings.sources import collect

#: The app's variables the checks read (their defaults are the profile model's).
APP_VARIABLES = (
    "DATABASE_URL",
    "DB_POOL_MODE",
    "DB_POOL_MAX_SIZE",
    "WEB_CONCURRENCY",
    "REDIS_URL",
    "RATELIMIT_ENABLED",
    "RATELIMIT_RULES",
    "HEALTH_TIMEOUT",
    "HEALTH_CACHE_SECONDS",
)


class ExpectationError(ValueError):
    """A variable the load tests read is malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class Expectations:
    """The figures the checks hold the app to, and where to observe it."""

    workers: int
    pool_mode: str
    pool_max: int
    dbname: str | None
    sample_url: str | None
    redis_url: str | None
    rules: tuple[Rule, ...]
    ratelimit_enabled: bool
    health_timeout: float
    health_cache_seconds: float
    pgbouncer_pool_size: int
    warmup: float
    output_dir: Path | None
    tokens: tuple[str, ...]
    token_count: int

    def backend_bound(self) -> tuple[int, str]:
        """Return the most backends the app may hold on the server, and why."""
        if self.pool_mode == "pgbouncer":
            return self.pgbouncer_pool_size, "pgbouncer's default_pool_size"
        bound = self.workers * self.pool_max
        return bound, f"WEB_CONCURRENCY {self.workers} × DB_POOL_MAX_SIZE {self.pool_max}"

    def opened_bound(self) -> tuple[int, str]:
        """Return how many sessions may open after the warm-up, and why.

        A native pool and persistent connections reuse what the warm-up opened.
        pgbouncer opens server connections lazily, up to its pool size, and may
        still be growing to it when the warm-up ends.
        """
        if self.pool_mode == "pgbouncer":
            return self.pgbouncer_pool_size, "pgbouncer may still grow to its pool size"
        return 0, "reused connections: the warm-up opened them all"


def _number[T: (int, float)](values: Mapping[str, str], name: str, kind: type[T], default: T) -> T:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError as err:
        form = "a whole number" if kind is int else "a number"
        raise ExpectationError(f"{name}={raw!r} is not {form}") from err


def read_expectations(environ: Mapping[str, str] | None = None) -> Expectations:
    """Read the expectations from ``environ`` (default ``os.environ``) and the app's files.

    Raises:
        ExpectationError: a variable is malformed, or RATELIMIT_RULES does not parse.
    """
    env = dict(os.environ if environ is None else environ)
    base = Path(env.get("PRODREADY_BASE_DIR") or Path.cwd())
    collected = collect(env, base, APP_VARIABLES, lambda profile: {})
    raw = {name: value.raw for name, value in collected.values.items()}

    def app(name: str) -> Any:
        try:
            return read_variable(name, raw.get(name))
        except ValueError as err:
            raise ExpectationError(str(err)) from None

    database_url = str(raw.get("DATABASE_URL", ""))
    is_postgres = urlsplit(database_url).scheme.lower() in POSTGRES_SCHEMES
    pool_mode = pool_mode_in_force(raw.get("DB_POOL_MODE"), database_url)
    # Behind pgbouncer, DATABASE_URL names pgbouncer: sampling through it would
    # take one of the server connections being counted.
    direct = is_postgres and pool_mode != "pgbouncer"
    sample_url = env.get("LOADTEST_PG_URL") or (database_url if direct else None)
    dbname = urlsplit(database_url).path.lstrip("/") if is_postgres else ""
    workers: int = app("WEB_CONCURRENCY")
    pool_max: int = app("DB_POOL_MAX_SIZE")
    try:
        rules = parse_rules(app("RATELIMIT_RULES"))
    except ValueError as err:
        raise ExpectationError(f"RATELIMIT_RULES: {err}") from err
    output = env.get("LOADTEST_OUTPUT_DIR")
    tokens = tuple(t.strip() for t in env.get("LOADTEST_TOKENS", "").split(",") if t.strip())
    return Expectations(
        workers=workers,
        pool_mode=pool_mode,
        pool_max=pool_max,
        dbname=dbname or None,
        sample_url=sample_url,
        redis_url=raw.get("REDIS_URL") or None,
        rules=rules,
        ratelimit_enabled=app("RATELIMIT_ENABLED"),
        health_timeout=app("HEALTH_TIMEOUT"),
        health_cache_seconds=app("HEALTH_CACHE_SECONDS"),
        pgbouncer_pool_size=_number(env, "LOADTEST_PGBOUNCER_POOL_SIZE", int, workers * pool_max),
        warmup=_number(env, "LOADTEST_WARMUP", float, 1.0),
        output_dir=Path(output) if output else None,
        tokens=tokens,
        token_count=len(tokens) or _number(env, "LOADTEST_TOKEN_COUNT", int, 3),
    )
