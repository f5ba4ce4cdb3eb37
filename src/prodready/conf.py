"""The one reader of prodready's run-time settings; the defaults are the profile model's."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from prodready.ratelimit.identity import TrustedProxies


@functools.cache
def _defaults() -> dict[str, Any]:
    """``settings.PRODREADY`` as the dev profile's defaults generate it.

    The profile model holds every default; a settings module written by hand
    (or one that leaves keys out) gets what the model would have generated.
    """
    from prodready.settings.build import build_prodready
    from prodready.settings.loader import defaults_for
    from prodready.settings.profiles import Profile

    values = {name.lower(): v.raw for name, v in defaults_for("dev", Path(".")).items()}
    return build_prodready(Profile.model_validate(values))


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
    defaults = _defaults()
    merged = {**defaults, **given}
    ratelimit = {**defaults["RATELIMIT"], **merged["RATELIMIT"]}
    health = {**defaults["HEALTH"], **merged["HEALTH"]}
    database = {**defaults["DB"], **merged["DB"]}
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
