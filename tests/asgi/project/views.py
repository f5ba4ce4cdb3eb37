"""Views that tell which worker and database backend served them, and whether it drains.

They stand in for the health views (tested on their own): ``ready/`` answers
503 exactly when :func:`prodready.lifecycle.is_draining` says so.
"""

from __future__ import annotations

import os

from django.db import connection
from django.http import HttpRequest, JsonResponse

from prodready.lifecycle import is_draining


def ready(request: HttpRequest) -> JsonResponse:
    """Answer the worker's pid, with 503 while it drains, else 200; touch nothing else."""
    draining = is_draining()
    body = {"worker": os.getpid(), "draining": draining}
    response = JsonResponse(body, status=503 if draining else 200)
    # Django logs every 5xx as an error; this one is expected, and the tests
    # assert that the log has no error lines.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def pid(request: HttpRequest) -> JsonResponse:
    """Answer the worker's pid and ``pg_backend_pid()``, holding the connection ``?sleep=`` s."""
    sleep = float(request.GET.get("sleep", "0"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), pg_sleep(%s)", [sleep])
        row = cursor.fetchone()
    return JsonResponse({"worker": os.getpid(), "backend": row[0]})


def pool(request: HttpRequest) -> JsonResponse:
    """Answer the worker's pid and its native pool's statistics (no query)."""
    stats = connection.pool.get_stats()
    return JsonResponse({"worker": os.getpid(), "stats": stats})
