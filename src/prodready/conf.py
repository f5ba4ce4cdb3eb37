"""The one reader of prodready's run-time settings, with every default in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from prodready.ratelimit.identity import TrustedProxies

_DEFAULTS: dict[str, Any] = {
    "PROFILE": "dev",
    "DB_POOL_MODE": "off",
    "WEB_CONCURRENCY": 1,
    "ASGI_THREADS": 4,
    "REDIS_URL": None,
    "RATELIMIT": {
        "ENABLED": True,
        "RULES": "",
        "TRUSTED_PROXIES": 0,
        "FAIL_OPEN": True,
        "IPV6_PREFIX": 64,
        "TIMEOUT": 0.5,
        "KEY_PREFIX": "rl",
        "REDIS_CLUSTER": False,
    },
    "HEALTH": {"TIMEOUT": 0.8, "CACHE_SECONDS": 1.0, "TOKEN": None, "DRAIN_SECONDS": 0.0},
    "DB": {"DEADLINE": None, "CHECK_DEADLINE": 5.0},
}


@dataclass(frozen=True, slots=True)
class Conf:
    """prodready's run-time settings, as ``settings.PRODREADY`` gives them."""

    profile: str
    db_pool_mode: str
    web_concurrency: int
    asgi_threads: int
    redis_url: str | None = field(repr=False)  # a password; not in tracebacks' reprs
    ratelimit_enabled: bool
    ratelimit_rules: str
    ratelimit_trusted_proxies: TrustedProxies
    ratelimit_fail_open: bool
    ratelimit_ipv6_prefix: int
    ratelimit_timeout: float
    ratelimit_key_prefix: str
    ratelimit_redis_cluster: bool
    health_timeout: float
    health_cache_seconds: float
    health_token: str | None = field(repr=False)
    health_drain_seconds: float
    db_deadline: float | None
    db_check_deadline: float


def get_conf() -> Conf:
    """Read ``settings.PRODREADY`` (written by the profile), filling in defaults.

    Raises:
        ValueError: when ``RATELIMIT["TRUSTED_PROXIES"]`` is neither a hop count
            nor a list of networks (the profile refuses such a value first).
    """
    # Imported here: the rate-limit package imports this module.
    from prodready.ratelimit.identity import parse_trusted_proxies

    given: dict[str, Any] = getattr(settings, "PRODREADY", {})
    merged = {**_DEFAULTS, **given}
    ratelimit = {**_DEFAULTS["RATELIMIT"], **merged["RATELIMIT"]}
    health = {**_DEFAULTS["HEALTH"], **merged["HEALTH"]}
    database = {**_DEFAULTS["DB"], **merged["DB"]}
    return Conf(
        profile=merged["PROFILE"],
        db_pool_mode=merged["DB_POOL_MODE"],
        web_concurrency=int(merged["WEB_CONCURRENCY"]),
        asgi_threads=int(merged["ASGI_THREADS"]),
        redis_url=merged["REDIS_URL"],
        ratelimit_enabled=bool(ratelimit["ENABLED"]),
        ratelimit_rules=str(ratelimit["RULES"]),
        ratelimit_trusted_proxies=parse_trusted_proxies(ratelimit["TRUSTED_PROXIES"]),
        ratelimit_fail_open=bool(ratelimit["FAIL_OPEN"]),
        ratelimit_ipv6_prefix=int(ratelimit["IPV6_PREFIX"]),
        ratelimit_timeout=float(ratelimit["TIMEOUT"]),
        ratelimit_key_prefix=str(ratelimit["KEY_PREFIX"]),
        ratelimit_redis_cluster=bool(ratelimit["REDIS_CLUSTER"]),
        health_timeout=float(health["TIMEOUT"]),
        health_cache_seconds=float(health["CACHE_SECONDS"]),
        health_token=health["TOKEN"],
        health_drain_seconds=float(health["DRAIN_SECONDS"]),
        db_deadline=None if database["DEADLINE"] is None else float(database["DEADLINE"]),
        db_check_deadline=float(database["CHECK_DEADLINE"]),
    )
