"""CACHES from REDIS_URL."""

from __future__ import annotations

from collections.abc import Callable

from prodready import Profile


def test_local_memory_when_redis_url_is_unset(load: Callable[..., Profile]) -> None:
    assert load().django_settings()["CACHES"] == {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "prodready",
        }
    }


def test_redis_cache_has_short_timeouts(load: Callable[..., Profile]) -> None:
    caches = load(REDIS_URL="redis://:pw@127.0.0.1:6379/3").django_settings()["CACHES"]
    assert caches == {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:pw@127.0.0.1:6379/3",
            "KEY_PREFIX": "prodready",
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
                "retry_on_timeout": False,
            },
        }
    }
