"""Middleware for the floor and for ``limits``: each builds its client once, at load."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class RedisPingMiddleware:
    """The floor: one Redis PING per request and nothing else.

    The client has prodready's options (timeouts, no retries), so the two
    requests differ only in what is sent and what is done around it.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.client = redis.Redis.from_url(
            settings.BENCH_REDIS_URL,
            socket_timeout=0.1,
            socket_connect_timeout=0.1,
            retry=Retry(NoBackoff(), 0),
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """PING, then answer."""
        self.client.ping()
        return self.get_response(request)


class LimitsMiddleware:
    """The thinnest useful middleware over ``limits``: a fixed window per client address.

    ``settings.BENCH_LIMITS`` gives ``STORAGE`` (a ``limits`` storage URI),
    ``RATE`` and the Redis ``KEY_PREFIX``.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        conf: dict[str, Any] = settings.BENCH_LIMITS
        options = {"key_prefix": conf["KEY_PREFIX"]} if conf["STORAGE"] != "memory://" else {}
        self.limiter = FixedWindowRateLimiter(storage_from_string(conf["STORAGE"], **options))
        self.item = parse(conf["RATE"])

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Count the request; answer 429 past the limit."""
        if not self.limiter.hit(self.item, "bench", request.META["REMOTE_ADDR"]):
            return HttpResponse(status=429)
        return self.get_response(request)
