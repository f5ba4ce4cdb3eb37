"""The demo's readiness extra: about how many items the catalog holds, cheaply.

The seed's readiness body showed ``items_in_db``. A ``COUNT(*)`` scans the
whole table, and probes come every few seconds from every pod; so on
PostgreSQL the planner's estimate (``pg_class.reltuples``, kept by autovacuum)
is read instead, and whatever the source the value is reused for
``ITEMS_CACHE_SECONDS`` per process.
"""

from __future__ import annotations

import threading
import time

from django.db import connection

from demo.catalog.models import CopyrightItem

ITEMS_CACHE_SECONDS = 60.0
_lock = threading.Lock()
_cached: tuple[float, int] | None = None


def items_in_db() -> int:
    """Return the number of items (an estimate on large PostgreSQL tables), cached per process."""
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < ITEMS_CACHE_SECONDS:
            return _cached[1]
    count = _estimate()
    if count is None:
        count = CopyrightItem.objects.count()
    with _lock:
        _cached = (time.monotonic(), count)
    return count


def _estimate() -> int | None:
    """Return PostgreSQL's row estimate of the items table, or None if it has none yet."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [CopyrightItem._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 until the table is first vacuumed or analyzed; a small table may stay
    # so, and then counting it costs little.
    return int(row[0]) if row is not None and row[0] >= 0 else None


def reset() -> None:
    """Forget the cached count (for tests)."""
    global _cached
    with _lock:
        _cached = None
