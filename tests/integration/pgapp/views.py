"""Views that report which database backend served them, or run pooler-sensitive queries."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import connection
from django.http import HttpRequest, JsonResponse


def backend_pid(request: HttpRequest) -> JsonResponse:
    """Answer ``{"pid": pg_backend_pid()}``, holding the connection ``?sleep=`` seconds."""
    sleep = float(request.GET.get("sleep", "0"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_sleep(%s)", [sleep])
        row = cursor.fetchone()
    return JsonResponse({"pid": row[0]})


def iterate_permissions(request: HttpRequest) -> JsonResponse:
    """Stream every permission with ``QuerySet.iterator()``, ``?chunk_size=`` rows a fetch."""
    chunk_size = int(request.GET.get("chunk_size", "2"))
    rows = sum(1 for _ in Permission.objects.order_by("pk").iterator(chunk_size=chunk_size))
    return JsonResponse({"rows": rows})


def repeat_count(request: HttpRequest) -> JsonResponse:
    """Run one query ``?times=`` times, each in its own transaction (autocommit)."""
    times = int(request.GET.get("times", "10"))
    counts = [Permission.objects.filter(codename="add_user").count() for _ in range(times)]
    return JsonResponse({"counts": counts})
