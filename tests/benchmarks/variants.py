"""The variants measured: each one a set of settings and a path, next to its baseline."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

REDIS_HOST = os.environ.get("PRODREADY_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("PRODREADY_TEST_REDIS_PORT", "6379"))
# A database of the benchmarks' own; every key they write starts with KEY_PREFIX.
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/9"
KEY_PREFIX = "bench-"
# Per hour: high enough never to trip, so every measured request is allowed and counted.
NEVER_TRIPS = 10**9
# Per hour: the limit of the twins that prove each limiter counts.
TIGHT = 2

Store = Literal["none", "memory", "redis"]

_PRODREADY = "prodready.ratelimit.RateLimitMiddleware"
_PING = "tests.benchmarks.middleware.RedisPingMiddleware"
_LIMITS = "tests.benchmarks.middleware.LimitsMiddleware"
_LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
_DJANGO_REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
_DJANGO_REDIS = "django_redis.cache.RedisCache"


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of serving the same request.

    Attributes:
        id: The readable test id, e.g. ``prodready-redis``.
        path: Where the request goes.
        settings: Overrides for this variant (on top of ``COMMON``).
        baseline: The variant whose time is subtracted to get the overhead.
        store: Where counts live; ``redis`` variants also get their commands counted.
        tight: Path and settings of the same limiter with a limit of 2 per hour.
    """

    id: str
    path: str = "/plain"
    settings: dict[str, Any] = field(default_factory=dict)
    baseline: str | None = "baseline"
    store: Store = "none"
    tight: tuple[str, dict[str, Any]] | None = None

    @property
    def limiter(self) -> bool:
        """Whether a limiter is in the path (the floor and the baselines have none)."""
        return self.tight is not None


def _cache(backend: str, name: str) -> dict[str, Any]:
    location = name if backend == _LOCMEM else REDIS_URL
    return {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": f"{KEY_PREFIX}{name}"}


COMMON: dict[str, Any] = {
    "ROOT_URLCONF": "tests.benchmarks.urls",
    "MIDDLEWARE": [],
    "CACHES": {"default": _cache(_LOCMEM, "default")},
    "BENCH_REDIS_URL": REDIS_URL,
    # The DRF views set their classes themselves; an anonymous request has no user object.
    "REST_FRAMEWORK": {"UNAUTHENTICATED_USER": None},
}


def _prodready(rate: str, *, redis: bool) -> dict[str, Any]:
    return {
        "MIDDLEWARE": [_PRODREADY],
        "CACHES": {"default": _cache(_LOCMEM, "prodready")},
        "PRODREADY": {
            "REDIS_URL": REDIS_URL if redis else None,
            "RATELIMIT": {"RULES": f"/ {rate} ip", "KEY_PREFIX": f"{KEY_PREFIX}prodready"},
        },
    }


def _django_ratelimit(backend: str, name: str) -> dict[str, Any]:
    return {
        "CACHES": {"default": _cache(_LOCMEM, "default"), "ratelimit": _cache(backend, name)},
        "RATELIMIT_USE_CACHE": "ratelimit",
    }


def _limits(storage: str, rate: str) -> dict[str, Any]:
    return {
        "MIDDLEWARE": [_LIMITS],
        "BENCH_LIMITS": {"STORAGE": storage, "RATE": rate, "KEY_PREFIX": f"{KEY_PREFIX}limits"},
    }


_DRF_CACHE = {"CACHES": {"default": _cache(_DJANGO_REDIS_CACHE, "drf")}}
_NEVER = f"{NEVER_TRIPS}/h"
_TIGHT = f"{TIGHT}/h"
_NEVER_LIMITS = f"{NEVER_TRIPS}/hour"
_TIGHT_LIMITS = f"{TIGHT}/hour"


# Ordered so that each variant runs close in time to the ones it is compared with.
VARIANTS: tuple[Variant, ...] = (
    Variant("baseline", baseline=None),
    Variant(
        "prodready-locmem",
        settings=_prodready(_NEVER, redis=False),
        store="memory",
        tight=("/plain", _prodready(_TIGHT, redis=False)),
    ),
    Variant(
        "limits-memory",
        settings=_limits("memory://", _NEVER_LIMITS),
        store="memory",
        tight=("/plain", _limits("memory://", _TIGHT_LIMITS)),
    ),
    Variant(
        "django-ratelimit-locmem",
        path="/drl",
        settings=_django_ratelimit(_LOCMEM, "drl-locmem"),
        store="memory",
        tight=("/drl-tight", _django_ratelimit(_LOCMEM, "drl-locmem")),
    ),
    Variant("ping-floor", settings={"MIDDLEWARE": [_PING]}, store="redis"),
    Variant(
        "prodready-redis",
        settings=_prodready(_NEVER, redis=True),
        store="redis",
        tight=("/plain", _prodready(_TIGHT, redis=True)),
    ),
    Variant(
        "limits-redis",
        settings=_limits(REDIS_URL, _NEVER_LIMITS),
        store="redis",
        tight=("/plain", _limits(REDIS_URL, _TIGHT_LIMITS)),
    ),
    Variant(
        "django-ratelimit-rediscache",
        path="/drl",
        settings=_django_ratelimit(_DJANGO_REDIS_CACHE, "drl-rediscache"),
        store="redis",
        tight=("/drl-tight", _django_ratelimit(_DJANGO_REDIS_CACHE, "drl-rediscache")),
    ),
    Variant(
        "django-ratelimit-django-redis",
        path="/drl",
        settings=_django_ratelimit(_DJANGO_REDIS, "drl-django-redis"),
        store="redis",
        tight=("/drl-tight", _django_ratelimit(_DJANGO_REDIS, "drl-django-redis")),
    ),
    Variant("drf-baseline", path="/drf"),
    Variant(
        "drf-throttle",
        path="/drf-throttle",
        settings=_DRF_CACHE,
        baseline="drf-baseline",
        store="redis",
        tight=("/drf-tight", _DRF_CACHE),
    ),
)
BY_ID = {variant.id: variant for variant in VARIANTS}
