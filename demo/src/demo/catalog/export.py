"""The catalog's other two paths through a server: an async view and a streamed export.

``GET /api/items/count/`` is an async view: under ``prodready.asgi`` it keeps
Django's async path (the ORM's async API, no worker thread). ``GET
/api/items/export/`` is a sync view that streams every item as CSV from a
database iterator: under ``prodready.asgi`` it runs, and is iterated, in one
worker thread, and the client receives rows as they are read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from demo.catalog.models import CopyrightItem

if TYPE_CHECKING:
    from django.http import HttpRequest

EXPORT_FIELDS = ("id", "title", "rights_holder", "year", "registration_number")
# Rows fetched from the database per round trip while exporting.
EXPORT_CHUNK = 500


@require_safe
async def item_count(request: HttpRequest) -> JsonResponse:
    """Count the items, with the ORM's async API."""
    return JsonResponse({"count": await CopyrightItem.objects.acount()})


class _Line:
    """A file-like object whose write returns the line: csv.writer's output, row by row."""

    def write(self, value: str) -> str:
        return value


def _rows() -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_FIELDS)
    items = CopyrightItem.objects.order_by("id").values_list(*EXPORT_FIELDS)
    for row in items.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(row)


@require_safe
def item_export(request: HttpRequest) -> StreamingHttpResponse:
    """Stream every item as CSV, read from the database as the client reads."""
    response = StreamingHttpResponse(_rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="items.csv"'
    return response
