"""The views benchmark requests reach: the same trivial work behind every limiter.

Every limited view has a twin whose limit is 2 per hour; the wiring test uses
the twins to prove each limiter really counts before its cost is measured.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django_ratelimit.decorators import ratelimit
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from tests.benchmarks.variants import NEVER_TRIPS, TIGHT

# DRF keeps one timestamp per request in the window and rewrites the whole
# list on every request, so its cost grows with the window's fill. Changing
# the client every HISTORY requests keeps the list at 0-99 entries, which is
# DRF under a 100-request quota (and not a list of 10**5 timestamps).
HISTORY = 100
_requests = itertools.count()


def plain(request: HttpRequest) -> HttpResponse:
    """The baseline view: no limiter, no work."""
    return HttpResponse(b"ok", content_type="text/plain")


class _NeverTrips(AnonRateThrottle):
    rate = f"{NEVER_TRIPS}/hour"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return f"{super().get_cache_key(request, view)}:{next(_requests) // HISTORY}"


class _Tight(AnonRateThrottle):
    rate = f"{TIGHT}/hour"


class DrfPlain(APIView):
    """DRF's own cost, without throttles: the baseline of the throttled view."""

    # Set on the class: DRF reads its class defaults from settings at import time.
    authentication_classes = ()
    permission_classes = ()
    renderer_classes = (JSONRenderer,)
    throttle_classes: tuple[type[AnonRateThrottle], ...] = ()

    def get(self, request: Request) -> Response:
        """Answer like the baseline view, through DRF."""
        return Response({"ok": True})


class DrfThrottled(DrfPlain):
    """DRF's AnonRateThrottle on the default cache."""

    throttle_classes = (_NeverTrips,)


class DrfTight(DrfPlain):
    """The same throttle with a limit of 2 per hour."""

    throttle_classes = (_Tight,)


urlpatterns = [
    path("plain", plain),
    path("drl", ratelimit(key="ip", rate=f"{NEVER_TRIPS}/h")(plain)),
    path("drl-tight", ratelimit(key="ip", rate=f"{TIGHT}/h")(plain)),
    path("drf", DrfPlain.as_view()),
    path("drf-throttle", DrfThrottled.as_view()),
    path("drf-tight", DrfTight.as_view()),
]
