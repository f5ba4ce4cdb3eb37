"""JSON views of the catalog: list items, ingest a CSV of items."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import transaction
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from demo.catalog.ingest import IngestError, read_upload
from demo.catalog.models import CopyrightItem

if TYPE_CHECKING:
    from django.http import HttpRequest

PAGE_SIZE = 50
ITEM_FIELDS = ("id", "title", "rights_holder", "year", "registration_number")

View = Callable[["HttpRequest"], JsonResponse]


def error_response(status: int, error: str, detail: str, **extra: Any) -> JsonResponse:
    """Return a JSON error ``{"error": error, "detail": detail, ...}`` with ``status``."""
    return JsonResponse({"error": error, "detail": detail, **extra}, status=status)


def _allow(*methods: str) -> Callable[[View], View]:
    """Answer other methods with a JSON 405 that carries an ``Allow`` header."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest) -> JsonResponse:
            if request.method not in methods:
                response = error_response(
                    405,
                    "method not allowed",
                    f"{request.method} is not allowed here; use {' or '.join(methods)}.",
                )
                response["Allow"] = ", ".join(methods)
                return response
            return view(request)

        return wrapper

    return decorate


# Exempt from CSRF: the API authenticates with a header, never a cookie, so a
# forged cross-site request carries no credentials. On the list it also lets
# other methods reach the 405 instead of a CSRF 403.
@csrf_exempt
@_allow("GET", "HEAD")
def item_list(request: HttpRequest) -> JsonResponse:
    """List copyright items by id, ``PAGE_SIZE`` a page, chosen with ``?page=N``."""
    paginator = Paginator(CopyrightItem.objects.order_by("id").values(*ITEM_FIELDS), PAGE_SIZE)
    raw = request.GET.get("page", "1")
    try:
        page = paginator.page(raw)
    except (PageNotAnInteger, EmptyPage):
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        return error_response(
            400,
            "invalid page",
            f"page {shown!r} does not exist; use a whole number from 1 to {paginator.num_pages}.",
        )

    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
            # An empty registration number is stored as "" and shown as null.
            "results": [
                {**row, "registration_number": row["registration_number"] or None}
                for row in page.object_list
            ],
        }
    )


@csrf_exempt
@_allow("POST")
def ingest(request: HttpRequest) -> JsonResponse:
    """Create the items of a CSV or .xlsx file sent as multipart field ``file``, all or none.

    Needs a user authenticated by ``Authorization: Token <token>``; answers 201
    with ``{"created": n}``, or 400 saying what is wrong with the upload.
    """
    if not request.user.is_authenticated:
        response = error_response(
            401,
            "authentication required",
            "Send a valid API token as 'Authorization: Token <token>'; "
            "issue one with 'django-admin issue_token USERNAME'.",
        )
        response["WWW-Authenticate"] = "Token"
        return response
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError:
        return error_response(400, "invalid upload", "The body is not valid multipart/form-data.")
    if upload is None:
        return error_response(
            400,
            "missing file",
            "Send the CSV or .xlsx file as a multipart/form-data file field named 'file'.",
        )
    try:
        items = read_upload(upload)
    except IngestError as err:
        return error_response(400, err.error, err.detail)
    with transaction.atomic():
        CopyrightItem.objects.bulk_create(items, batch_size=1000)
    return JsonResponse({"created": len(items)}, status=201)
