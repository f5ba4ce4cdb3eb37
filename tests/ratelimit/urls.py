"""Views for middleware and decorator tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from prodready.ratelimit import Ratelimited, ais_ratelimited, exempt, is_ratelimited, ratelimit


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


def tenant(request: HttpRequest) -> str | None:
    """A key function as django-ratelimit's users write them: one argument form."""
    return request.GET.get("tenant") or None


def tenant_of_group(group: str, request: HttpRequest) -> str:
    """The two-argument form, ``key(group, request)``."""
    return f"{group}:{request.GET.get('tenant', '')}"


def broken(request: HttpRequest) -> str:
    raise AttributeError("the project's key has a bug")


@ratelimit("2/m", key=broken)
def by_broken_key(request: HttpRequest) -> HttpResponse:
    return HttpResponse("by-broken-key")


@ratelimit("2/m", key="header:X-Api-Key")
def by_header(request: HttpRequest) -> HttpResponse:
    return HttpResponse("by-header")


@ratelimit("2/m", key=tenant)
def by_callable(request: HttpRequest) -> HttpResponse:
    return HttpResponse("by-callable")


@ratelimit("2/m", key="tests.ratelimit.urls.tenant_of_group")
def by_path(request: HttpRequest) -> HttpResponse:
    return HttpResponse("by-path")


@ratelimit("3/m", key="ip", group="shared")
def shared_one(request: HttpRequest) -> HttpResponse:
    return HttpResponse("one")


@ratelimit("3/m", key="ip", group="shared")
def shared_two(request: HttpRequest) -> HttpResponse:
    return HttpResponse("two")


def login(request: HttpRequest) -> HttpResponse:
    # Only failed attempts count; the view answers as it likes.
    if request.POST.get("password") == "right":
        return HttpResponse("welcome")
    if is_ratelimited(request, "2/m", key="ip", group="login", methods="POST"):
        return HttpResponse("slow down", status=429)
    return HttpResponse("wrong", status=401)


async def alogin(request: HttpRequest) -> HttpResponse:
    if await ais_ratelimited(request, "2/m", key="ip", group="alogin"):
        return HttpResponse("slow down", status=429)
    return HttpResponse("wrong", status=401)


def too_many(request: HttpRequest, exception: Ratelimited) -> HttpResponse:
    """A project's own refusal (``RATELIMIT_VIEW``)."""
    return JsonResponse({"mine": True, "retry": exception.retry_after}, status=429)


async def atoo_many(request: HttpRequest, exception: Ratelimited) -> HttpResponse:
    return JsonResponse({"mine": "async", "retry": exception.retry_after}, status=429)


urlpatterns = [
    path("keys/header/", by_header),
    path("keys/broken/", by_broken_key),
    path("keys/callable/", by_callable),
    path("keys/path/", by_path),
    path("keys/shared/one/", shared_one),
    path("keys/shared/two/", shared_two),
    path("keys/login/", login),
    path("keys/alogin/", alogin),
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
