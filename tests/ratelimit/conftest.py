"""Fixtures for rate-limit tests: requests without Django's handler, limiters on real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from django.test import override_settings

from prodready.ratelimit.backends import redis_backend
from prodready.ratelimit.limiter import Limiter
from prodready.ratelimit.process import get_limiter
from prodready.settings.profiles import Profile
from tests.servers import REDIS_HOST, REDIS_PORT, unique_prefix

REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
DEFAULT_TIMEOUT = float(Profile.model_fields["ratelimit_timeout"].default)


def fake_request(
    ip: str = "192.0.2.1", method: str = "GET", path: str = "/api/x", user: Any = None, **meta: str
) -> Any:
    """Return the parts of a request the limiter reads."""
    return SimpleNamespace(
        META={"REMOTE_ADDR": ip, **meta}, method=method, path_info=path, user=user
    )


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of the test's own; its keys are deleted afterwards."""
    name = unique_prefix()
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{name}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_limiter(prefix: str) -> Iterator[Limiter]:
    """A limiter on the shared Redis, with the test's own key prefix."""
    # The default timeout: a loaded machine must not fail these counts open.
    limiter = Limiter(redis_backend(REDIS_URL, DEFAULT_TIMEOUT), key_prefix=prefix)
    yield limiter
    limiter.close()


MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "demo.catalog.auth.TokenAuthenticationMiddleware",
    "prodready.ratelimit.RateLimitMiddleware",
]
LOCMEM = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit-tests",
    }
}


def limit_settings(
    rules: str, redis_url: str | None = REDIS_URL, **ratelimit: Any
) -> dict[str, Any]:
    return {
        "REDIS_URL": redis_url,
        # The default store timeout: a slow machine must not fail requests open.
        "RATELIMIT": {"RULES": rules, "KEY_PREFIX": unique_prefix(), **ratelimit},
    }


@pytest.fixture
def limited(request: pytest.FixtureRequest) -> Iterator[None]:
    """Apply the test's rate-limit settings (from its ``limits`` marker) around it."""
    marker = request.node.get_closest_marker("limits")
    kwargs = dict(marker.kwargs) if marker else {}
    rules = kwargs.pop("rules", "/api/ 3/m ip")
    middleware = kwargs.pop("middleware", MIDDLEWARE)
    with override_settings(
        PRODREADY=limit_settings(rules, **kwargs),
        MIDDLEWARE=middleware,
        ROOT_URLCONF="tests.ratelimit.urls",
        CACHES=LOCMEM,
    ):
        yield
        get_limiter().close()
