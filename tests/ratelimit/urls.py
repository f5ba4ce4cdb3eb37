"""Views for middleware and decorator tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from prodready.ratelimit import exempt, ratelimit


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


async def aok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@exempt
def probe(request: HttpRequest) -> HttpResponse:
    return HttpResponse("alive")


@ratelimit("2/m", key="ip", methods=["POST"])
def decorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("decorated")


@ratelimit("2/m", key="ip")
async def adecorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("adecorated")


# As django-ratelimit users write it: one method as a string, a spelt-out unit.
@ratelimit("2/minute", key="ip", method="POST")
def dialect(request: HttpRequest) -> HttpResponse:
    return HttpResponse("dialect")


@ratelimit("2 per minute", key="ip", methods="POST", block=False)
def flagged(request: HttpRequest) -> HttpResponse:
    return HttpResponse("limited" if getattr(request, "limited", False) else "fine")


urlpatterns = [
    path("api/ok/", ok),
    path("api/aok/", aok),
    path("api/liveness/", probe),
    path("other/", ok),
    path("decorated/", decorated),
    path("adecorated/", adecorated),
    path("api/dialect/", dialect),
    path("flagged/", flagged),
    path("", include("demo.urls")),
]
