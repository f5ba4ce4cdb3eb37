"""CACHES from REDIS_URL: Django's built-in RedisCache, else local memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prodready.exceptions import Problem
from prodready.settings.redis_url import redis_url_problems

if TYPE_CHECKING:
    from prodready.settings.profiles import Profile

# A cache that cannot answer within half a second is treated as down rather
# than holding the request (and a worker) for redis-py's default of forever.
REDIS_SOCKET_TIMEOUT = 0.5
REDIS_CONNECT_TIMEOUT = 0.5


def cache_problems(profile: Profile) -> list[Problem]:
    """Return the problems of REDIS_URL, one per line, quoting nothing but its scheme."""
    if profile.redis_url is None:
        return []
    url = profile.redis_url.get_secret_value()
    return [
        Problem("REDIS_URL", f"{message}.")
        for message in redis_url_problems(url, cluster=profile.ratelimit_redis_cluster)
    ]


def build_caches(profile: Profile) -> dict[str, Any]:
    """Return the ``CACHES`` setting for ``profile``."""
    if profile.redis_url is None:
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "prodready",
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": profile.redis_url.get_secret_value(),
            "KEY_PREFIX": "prodready",
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "retry_on_timeout": False,
            },
        }
    }
