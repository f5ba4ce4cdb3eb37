"""Django system checks for what only shows once Django's settings are complete.

The profile refuses what it can see before Django starts; these checks catch
the same mistakes in settings written or edited by hand, and the ones that
depend on how the project is served.

=================  ===========================================================
id                 problem
=================  ===========================================================
prodready.E001     ``CONN_MAX_AGE`` is not 0 on PostgreSQL while the project is served
                   over ASGI (``ASGI_APPLICATION`` is set): connections leak per task.
prodready.E002     ``OPTIONS["pool"]`` together with ``CONN_MAX_AGE`` other than 0.
prodready.E003     pgbouncer mode without ``DISABLE_SERVER_SIDE_CURSORS = True``.
prodready.E004     pgbouncer mode with prepared statements on (``server_side_binding``
                   with an integer ``prepare_threshold``).
prodready.E005     SQLAlchemy-style pool options (``pool_size``...) in ``OPTIONS``.
prodready.E006     a setting the profile generated was replaced by a later line of
                   ``settings.py`` (the snippet is not last).
prodready.E007     ``RATELIMIT_VIEW`` or a key function named in ``RATELIMIT_RULES`` cannot
                   be imported, or is not callable.
prodready.W003     a variable in the environment or the profile's files that looks like
                   one of prodready's but is not (a typo), with a suggestion.
prodready.W001     a local-memory cache behind rate limits with several worker
                   processes: each process counts on its own.
prodready.W002     rate limits in the prod profile without REDIS_URL: each
                   instance (and process) counts on its own.
=================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from prodready.conf import get_conf
from prodready.settings.database import SQLALCHEMY_OPTIONS


def _postgres_aliases() -> list[tuple[str, dict[str, Any]]]:
    return [
        (alias, db)
        for alias, db in settings.DATABASES.items()
        if "postgresql" in str(db.get("ENGINE", "")) or "postgis" in str(db.get("ENGINE", ""))
    ]


def check_database(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Check DATABASES against how the project is served and pooled."""
    errors: list[checks.CheckMessage] = []
    pgbouncer = get_conf().db_pool_mode == "pgbouncer"
    asgi = bool(getattr(settings, "ASGI_APPLICATION", None))
    for alias, db in settings.DATABASES.items():
        options = db.get("OPTIONS", {})
        for option in sorted(set(options) & SQLALCHEMY_OPTIONS.keys()):
            errors.append(
                checks.Error(
                    f"DATABASES['{alias}']['OPTIONS'] has '{option}', a SQLAlchemy option "
                    "that Django passes to the driver, which rejects it.",
                    hint=f"Remove it; use {SQLALCHEMY_OPTIONS[option]}.",
                    id="prodready.E005",
                )
            )
    for alias, db in _postgres_aliases():
        age = db.get("CONN_MAX_AGE", 0)
        options = db.get("OPTIONS", {})
        if options.get("pool") and age != 0:
            errors.append(
                checks.Error(
                    f"DATABASES['{alias}'] has a connection pool and CONN_MAX_AGE={age}; "
                    "Django refuses pooling with persistent connections.",
                    hint="Set CONN_MAX_AGE to 0 (DB_POOL_MODE=native does).",
                    id="prodready.E002",
                )
            )
        elif asgi and age != 0:
            errors.append(
                checks.Error(
                    f"DATABASES['{alias}'] has CONN_MAX_AGE={age} while the project is "
                    "served over ASGI, where every task keeps its own connection open "
                    "until the server's limit is reached.",
                    hint="Use DB_POOL_MODE=native (a psycopg pool) or set CONN_MAX_AGE to 0.",
                    id="prodready.E001",
                )
            )
        if pgbouncer and not db.get("DISABLE_SERVER_SIDE_CURSORS"):
            errors.append(
                checks.Error(
                    f"DATABASES['{alias}'] goes through pgbouncer in transaction mode "
                    "without DISABLE_SERVER_SIDE_CURSORS; QuerySet.iterator() fails with "
                    "'portal \"_django_curs_...\" does not exist' (or 'cursor ... does not "
                    "exist').",
                    hint="Set DISABLE_SERVER_SIDE_CURSORS = True (DB_POOL_MODE=pgbouncer does).",
                    id="prodready.E003",
                )
            )
        # Django leaves prepared statements off unless server-side binding is on
        # and a prepare_threshold is given.
        prepares = isinstance(options.get("prepare_threshold"), int) and (
            options.get("server_side_binding") is True
        )
        if pgbouncer and prepares:
            errors.append(
                checks.Error(
                    f"DATABASES['{alias}'] goes through pgbouncer in transaction mode with "
                    "prepared statements on; a repeated query fails with "
                    "'prepared statement \"_pg3_0\" does not exist'.",
                    hint="Set OPTIONS['prepare_threshold'] = None (DB_POOL_MODE=pgbouncer does).",
                    id="prodready.E004",
                )
            )
    return errors


def check_ratelimit_store(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Warn when rate limits would be counted per process."""
    conf = get_conf()
    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    limited = conf.ratelimit_enabled and bool(conf.ratelimit_rules.strip())
    messages: list[checks.CheckMessage] = []
    if limited and conf.redis_url is None and conf.profile == "prod":
        messages.append(
            checks.Warning(
                "Rate limits in the prod profile are counted without REDIS_URL: every "
                "instance counts on its own, so the limits multiply with the replicas.",
                hint="Set REDIS_URL to a Redis that every instance shares.",
                id="prodready.W002",
            )
        )
    if (
        limited
        and conf.redis_url is None
        and "locmem" in backend.lower()
        and conf.web_concurrency > 1
    ):
        messages += [
            checks.Warning(
                f"Rate limits are counted in a local-memory cache with WEB_CONCURRENCY="
                f"{conf.web_concurrency}: each worker process counts on its own, so a "
                f"client gets up to {conf.web_concurrency}× its limit.",
                hint="Set REDIS_URL so that every process shares one counter.",
                id="prodready.W001",
            )
        ]
    return messages


def check_ratelimit_imports(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """prodready.E007: what the rate limiter imports on its first refusal or request."""
    from prodready.ratelimit.keys import FunctionKey
    from prodready.ratelimit.process import get_rules
    from prodready.ratelimit.responses import refusal_view

    problems: list[str] = []
    try:
        refusal_view()
    except ImportError as err:
        problems.append(f"RATELIMIT_VIEW: {err}")
    for rule in get_rules():
        if isinstance(rule.keyer, FunctionKey):
            try:
                rule.keyer.function()
            except ImportError as err:
                problems.append(f"RATELIMIT_RULES: {err}")
    return [
        checks.Error(
            problem,
            hint="Give the dotted path of a function the project can import.",
            id="prodready.E007",
        )
        for problem in problems
    ]


def check_generated_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """prodready.E006: Django's settings still hold what the profile generated."""
    from prodready.settings.fingerprint import SETTING, differing

    recorded = getattr(settings, SETTING, None)
    if not isinstance(recorded, dict):
        return []  # the profile's settings are not used here
    current = {name: getattr(settings, name) for name in recorded if hasattr(settings, name)}
    return [
        checks.Error(
            f"{name} is not what the {getattr(settings, 'PRODREADY', {}).get('PROFILE', '')} "
            "profile generated: a line below the profile's snippet in settings.py sets it "
            "again.",
            hint=(
                "Put the snippet last in settings.py, and delete the lines startproject "
                "generated for it (SECRET_KEY, DEBUG, ALLOWED_HOSTS, DATABASES), or set the "
                "value through the profile's variable."
            ),
            id="prodready.E006",
        )
        for name in differing(recorded, current)
    ]


def check_unknown_variables(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """prodready.W003: variables that look like prodready's but are not."""
    found = (getattr(settings, "PRODREADY", {}) or {}).get("WARNINGS") or []
    return [
        checks.Warning(
            str(line),
            hint="Fix the name, or remove the variable; 'prodready reference' lists them all.",
            id="prodready.W003",
        )
        for line in found
    ]


def register() -> None:
    """Register prodready's checks with Django (called from ``AppConfig.ready``)."""
    # Not Tags.database: Django runs those only with --database.
    checks.register(check_database, "prodready")
    checks.register(check_generated_settings, "prodready")
    checks.register(check_unknown_variables, "prodready")
    checks.register(check_ratelimit_imports, "prodready")
    checks.register(check_ratelimit_store, "prodready", checks.Tags.caches)
