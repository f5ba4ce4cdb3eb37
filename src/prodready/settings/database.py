"""DATABASES from DATABASE_URL and DB_POOL_MODE: pure functions of the profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import environ

from prodready.deadlines import check_connection
from prodready.exceptions import Problem
from prodready.settings.url_syntax import ENCODE, scheme_of, syntax_problem

if TYPE_CHECKING:
    from prodready.settings.profiles import PoolMode, Profile

POSTGRES_ENGINE = "django.db.backends.postgresql"
DEFAULT_PERSISTENT_MAX_AGE = 600
_FORM = "scheme://USER:PASSWORD@HOST:PORT/NAME"

# Options that SQLAlchemy-minded guides put in the URL; Django passes unknown
# OPTIONS straight to the driver, which fails at the first connection.
SQLALCHEMY_OPTIONS = {
    "pool_size": "DB_POOL_MAX_SIZE (and DB_POOL_MIN_SIZE)",
    "max_overflow": "DB_POOL_MAX_SIZE (psycopg's pool has no overflow)",
    "pool_timeout": "DB_POOL_TIMEOUT",
    "pool_recycle": "DB_POOL_MODE=native (the pool recycles connections itself)",
    "pool_pre_ping": "DB_POOL_MODE=native (health checks are on by default)",
}
SQLALCHEMY_VARIABLES = {
    "DB_POOL_SIZE": "DB_POOL_MAX_SIZE",
    "DB_MAX_OVERFLOW": "DB_POOL_MAX_SIZE",
    "DB_POOL_RECYCLE": "DB_POOL_MODE=native",
    "DB_POOL_PRE_PING": "DB_POOL_MODE=native",
}


def parse_database_url(url: str) -> dict[str, Any]:
    """Parse ``url`` with django-environ; raise ``ValueError`` on an unknown scheme.

    The error names the scheme only, never the rest of the URL.
    """
    scheme = scheme_of(url).lower()  # django-environ lowers it, as urllib does
    if not scheme or scheme not in environ.Env.DB_SCHEMES:
        # Only a scheme of the expected form is quoted: what precedes a ':' may be a user.
        known = "postgres, postgresql, sqlite, mysql, oracle, ..."
        shown = f"'{scheme}'" if scheme else "no scheme"
        raise ValueError(f"the URL has {shown}; expected a scheme django-environ knows ({known}).")
    if not scheme.startswith("sqlite"):
        unparsable = syntax_problem(
            url, libpq=is_postgres({"ENGINE": environ.Env.DB_SCHEMES[scheme]})
        )
        if unparsable:
            raise ValueError(f"the URL does not parse: {unparsable}; {ENCODE}.")
    try:
        config: dict[str, Any] = environ.Env.db_url_config(url)
    except Exception:  # its message may quote a piece of the URL: only the fact is kept
        raise ValueError(
            f"django-environ cannot read the URL as {_FORM}; check the port and {ENCODE}."
        ) from None
    return config


def is_postgres(config: dict[str, Any]) -> bool:
    """Tell whether a parsed database config uses PostgreSQL."""
    return "postgresql" in str(config.get("ENGINE", "")) or "postgis" in str(config.get("ENGINE"))


def resolve_pool_mode(profile: Profile) -> PoolMode:
    """Return the pool mode in force for ``profile`` (:meth:`Profile.resolved_pool_mode`)."""
    return profile.resolved_pool_mode


def database_problems(profile: Profile) -> list[Problem]:
    """Return every problem of the database settings, as sentences without secrets."""
    if profile.database_url is None:
        return [
            Problem(
                "DATABASE_URL",
                f"is required in the {profile.app_profile} profile; set it to a URL such as "
                "postgres://USER:PASSWORD@HOST:5432/NAME.",
            )
        ]
    try:
        config = parse_database_url(profile.database_url.get_secret_value())
    except ValueError as err:
        return [Problem("DATABASE_URL", str(err))]
    problems = [
        Problem(
            "DATABASE_URL",
            f"'{option}' is a SQLAlchemy option that Django does not understand; "
            f"remove it and use {replacement}.",
        )
        for option, replacement in SQLALCHEMY_OPTIONS.items()
        if option in config.get("OPTIONS", {})
    ]
    mode = resolve_pool_mode(profile)
    if mode in ("native", "pgbouncer") and not is_postgres(config):
        problems.append(
            Problem(
                "DB_POOL_MODE",
                f"'{mode}' needs PostgreSQL but DATABASE_URL names another database; "
                "use DB_POOL_MODE=persistent or off.",
            )
        )
    if mode == "native":
        problems += _native_problems(profile)
    else:
        problems += _thread_problems(profile, mode)
    return problems


def asgi_threads(profile: Profile) -> int:
    """Return the worker threads per process: ``ASGI_THREADS``, else ``DB_POOL_MAX_SIZE``."""
    return profile.asgi_threads or profile.db_pool_max_size


def _thread_problems(profile: Profile, mode: str) -> list[Problem]:
    # Without the native pool each worker thread may hold a connection of its own.
    threads = asgi_threads(profile)
    budget = profile.db_max_connections
    needed = profile.web_concurrency * threads
    if budget is None or needed <= budget:
        return []
    fitting = budget // profile.web_concurrency
    fix = (
        f"lower ASGI_THREADS to at most {fitting}"
        if fitting
        else f"lower WEB_CONCURRENCY to at most {budget} (with ASGI_THREADS=1)"
    )
    return [
        Problem(
            "ASGI_THREADS",
            f"is {threads} and WEB_CONCURRENCY is {profile.web_concurrency}: with "
            f"DB_POOL_MODE={mode} each worker thread can hold a connection, "
            f"{profile.web_concurrency} × {threads} = {needed} connections, over "
            f"DB_MAX_CONNECTIONS={budget}; {fix}, or use DB_POOL_MODE=native.",
        )
    ]


def _native_problems(profile: Profile) -> list[Problem]:
    problems: list[Problem] = []
    if profile.db_conn_max_age:
        problems.append(
            Problem(
                "DB_CONN_MAX_AGE",
                f"is {profile.db_conn_max_age} but Django's native pool does not support "
                "persistent connections; set DB_CONN_MAX_AGE=0 or DB_POOL_MODE=persistent.",
            )
        )
    if profile.db_pool_min_size > profile.db_pool_max_size:
        problems.append(
            Problem(
                "DB_POOL_MIN_SIZE",
                f"is {profile.db_pool_min_size}, larger than DB_POOL_MAX_SIZE="
                f"{profile.db_pool_max_size}; make DB_POOL_MIN_SIZE at most DB_POOL_MAX_SIZE.",
            )
        )
    budget = profile.db_max_connections
    needed = profile.web_concurrency * profile.db_pool_max_size
    if budget is not None and needed > budget:
        fitting = budget // profile.web_concurrency
        fix = (
            f"lower DB_POOL_MAX_SIZE to {fitting} or fewer"
            if fitting >= 1
            else "lower WEB_CONCURRENCY"
        )
        problems.append(
            Problem(
                "DB_MAX_CONNECTIONS",
                f"is {budget} but WEB_CONCURRENCY × DB_POOL_MAX_SIZE = "
                f"{profile.web_concurrency} × {profile.db_pool_max_size} = {needed} connections, "
                f"{needed - budget} over the budget; {fix}, or raise DB_MAX_CONNECTIONS.",
            )
        )
    return problems


def database_notes(profile: Profile) -> dict[str, str]:
    """Return, per database variable, what a valid value does not do in this profile."""
    notes: dict[str, str] = {}
    if profile.db_statement_timeout and resolve_pool_mode(profile) == "pgbouncer":
        notes["DB_STATEMENT_TIMEOUT"] = (
            "not sent to the server in pgbouncer mode (transaction pooling drops session "
            "settings); enforced on the client side only, by closing a query's connection "
            f"after {profile.db_statement_timeout / 1000:g} + DB_CONNECT_TIMEOUT s. Set "
            "statement_timeout on the database role to stop statements on the server too."
        )
    return notes


def build_databases(profile: Profile) -> dict[str, Any]:
    """Return the ``DATABASES`` setting for a valid ``profile``."""
    assert profile.database_url is not None  # checked by database_problems()
    config = parse_database_url(profile.database_url.get_secret_value())
    mode = resolve_pool_mode(profile)
    options: dict[str, Any] = dict(config.get("OPTIONS", {}))
    config["CONN_HEALTH_CHECKS"] = mode != "off"
    config["CONN_MAX_AGE"] = 0
    if is_postgres(config):
        options.setdefault("connect_timeout", profile.db_connect_timeout)
        # pgbouncer rejects the 'options' startup parameter, and transaction pooling
        # drops session settings: there the statement timeout is enforced on the
        # client side only (prodready.deadlines); set it on the role to stop the
        # statement on the server (ALTER ROLE ... SET statement_timeout).
        if profile.db_statement_timeout and mode != "pgbouncer":
            options["options"] = f"-c statement_timeout={profile.db_statement_timeout}"
    if mode == "native":
        options["pool"] = {
            "min_size": profile.db_pool_min_size,
            "max_size": profile.db_pool_max_size,
            "timeout": profile.db_pool_timeout,
            # psycopg's check, with a deadline: a hung link fails it (prodready.deadlines).
            "check": check_connection,
        }
    elif mode == "persistent":
        age = profile.db_conn_max_age
        config["CONN_MAX_AGE"] = DEFAULT_PERSISTENT_MAX_AGE if age is None else age
    elif mode == "pgbouncer":
        # Transaction pooling hands each transaction to any server connection:
        # a cursor declared WITH HOLD or a prepared statement from an earlier
        # transaction may not exist on the next one.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        options["prepare_threshold"] = None
    if options:
        config["OPTIONS"] = options
    return {"default": config}
