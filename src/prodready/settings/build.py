"""Gather the builders into one Django settings dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from prodready.masking import url_passwords
from prodready.settings.cache import build_caches
from prodready.settings.database import asgi_threads, build_databases, resolve_pool_mode
from prodready.settings.email import build_mailers
from prodready.settings.fingerprint import SETTING, fingerprint
from prodready.settings.security import build_security

if TYPE_CHECKING:
    from prodready.settings.profiles import Profile


def build_logging(profile: Profile) -> dict[str, Any]:
    """Return ``LOGGING``: one line per event on stderr, credentials masked."""
    secrets = secret_values(profile)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "redact": {"()": "prodready.logs.RedactingFilter", "secrets": secrets},
            "repeats": {"()": "prodready.logs.RepeatsFilter"},
        },
        "formatters": {
            "line": {
                "()": "prodready.logs.OneLineFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": ["redact"],
            },
            # psycopg's pool warns per connection attempt while the database is down.
            "psycopg": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": ["repeats", "redact"],
            },
        },
        "root": {"handlers": ["console"], "level": "INFO"},
        "loggers": {
            "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "prodready": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "psycopg": {"handlers": ["psycopg"], "level": "WARNING", "propagate": False},
        },
    }


def secret_values(profile: Profile) -> list[str]:
    """Return the profile's secret values (every ``SecretStr`` field) and the URLs' passwords."""
    values = [
        secret.get_secret_value()
        for name in type(profile).model_fields
        if isinstance(secret := getattr(profile, name), SecretStr)
    ]
    return [*values, *(p for v in values for p in url_passwords(v))]


def build_prodready(profile: Profile) -> dict[str, Any]:
    """Return the ``PRODREADY`` setting read at run time by ``prodready.conf``."""
    return {
        "PROFILE": profile.app_profile,
        # Variables that look like prodready's but are not (prodready.W003); names only.
        "WARNINGS": list(profile.warnings),
        "DB_POOL_MODE": resolve_pool_mode(profile),
        "WEB_CONCURRENCY": profile.web_concurrency,
        "ASGI_THREADS": asgi_threads(profile),
        "REDIS_URL": profile.redis_url.get_secret_value() if profile.redis_url else None,
        "RATELIMIT": {
            "ENABLED": profile.ratelimit_enabled,
            "RULES": profile.ratelimit_rules,
            "TRUSTED_PROXIES": profile.ratelimit_trusted_proxies,
            "FAIL_OPEN": profile.ratelimit_fail_open,
            "IPV6_PREFIX": profile.ratelimit_ipv6_prefix,
            "TIMEOUT": profile.ratelimit_timeout,
            "KEY_PREFIX": profile.ratelimit_key_prefix,
            "REDIS_CLUSTER": profile.ratelimit_redis_cluster,
        },
        "HEALTH": {
            "TIMEOUT": profile.health_timeout,
            "CACHE_SECONDS": profile.health_cache_seconds,
            "TOKEN": profile.health_token.get_secret_value() if profile.health_token else None,
            "DRAIN_SECONDS": profile.health_drain_seconds,
        },
        "DB": {
            # Client-side bounds on a hung link (prodready.deadlines).
            "DEADLINE": (
                profile.db_statement_timeout / 1000 + profile.db_connect_timeout
                if profile.db_statement_timeout
                else None
            ),
            "CHECK_DEADLINE": float(profile.db_connect_timeout),
        },
    }


def build_settings(profile: Profile) -> dict[str, Any]:
    """Return every Django setting the profile decides, for a valid ``profile``.

    ``PRODREADY_GENERATED`` holds hashes of the decisive ones, for the system
    check that catches a snippet placed above lines that replace them.
    """
    generated = _settings(profile)
    # SILENCED_SYSTEM_CHECKS is a list a project may extend below the snippet.
    checked = [
        name for name in generated if name not in ("LOGGING", "PRODREADY", "SILENCED_SYSTEM_CHECKS")
    ]
    return {**generated, SETTING: fingerprint(generated, checked)}


def _settings(profile: Profile) -> dict[str, Any]:
    mail = build_mailers(profile.email_url.get_secret_value()) if profile.email_url else {}
    return {
        **mail,
        **build_security(profile),
        "DATABASES": build_databases(profile),
        "CACHES": build_caches(profile),
        "LOGGING": build_logging(profile),
        "PRODREADY": build_prodready(profile),
        "DEFAULT_EXCEPTION_REPORTER_FILTER": "prodready.reporting.SafeReporterFilter",
        "DEFAULT_EXCEPTION_REPORTER": "prodready.reporting.SafeExceptionReporter",
    }
