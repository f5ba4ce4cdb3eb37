"""CACHES from REDIS_URL."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
import redis
from django.core.cache import CacheHandler
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError
from redis.retry import Retry

from prodready import Profile
from prodready.ratelimit.backends import Hit, redis_backend
from tests.servers import RedisServer, unique_prefix


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


@pytest.mark.integration
def test_a_percent_encoded_password_works_in_the_cache_and_the_limiter(
    load: Callable[..., Profile],
) -> None:
    password = "p/w@x:y#z q%"  # every character redis URLs make trouble with
    with RedisServer("--requirepass", password) as server:
        url = f"redis://:{quote(password, safe='')}@127.0.0.1:{server.port}/0"
        profile = load(REDIS_URL=url)
        key = unique_prefix("encoded")

        handler = CacheHandler(profile.django_settings()["CACHES"])
        try:
            cache = handler["default"]
            cache.set(key, "cached", 30)
            assert cache.get(key) == "cached"
        finally:
            handler.close_all()

        with redis.Redis.from_url(url) as client:
            client.set(key, "direct", ex=30)
            assert client.get(key) == b"direct"
        anonymous = redis.Redis(port=server.port, retry=Retry(NoBackoff(), 0))
        with anonymous, pytest.raises(AuthenticationError):
            anonymous.ping()  # the password is needed, so the URL carried it

        backend = redis_backend(url, 0.5)
        try:
            assert [count for count, _ in backend.hit([Hit(key, 60)])] == [1]
        finally:
            backend.close()
