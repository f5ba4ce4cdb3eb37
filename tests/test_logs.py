"""Log lines: one per event, credentials masked."""

from __future__ import annotations

import logging

import pytest

from prodready.logs import OneLineFormatter, RedactingFilter
from prodready.masking import mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://app:s3cret@db:5432/x", "postgres://app:***@db:5432/x"),
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "connection to db failed: password=s3cret host=db",
            "connection to db failed: password=*** host=db",
        ),
        ("postgres://app@db/x", "postgres://app@db/x"),
        ("no credentials here", "no credentials here"),
    ],
    ids=["postgres-url", "redis-url", "libpq-keyword", "url-without-password", "plain"],
)
def test_mask_masks_credentials(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_filter_masks_known_secrets_in_message_and_traceback() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key is %s", ("KEY123",), None)
    try:
        raise RuntimeError("failed with KEY123 for postgres://u:pw@h/db")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter(["KEY123"]).filter(record)
    line = OneLineFormatter("%(levelname)s %(message)s").format(record)
    assert "KEY123" not in line
    assert ":pw@" not in line
    assert "\n" not in line
    assert line.startswith("ERROR key is ***")
    assert "RuntimeError: failed with *** for postgres://u:***@h/db" in line


def test_repeated_warnings_are_held_back_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from prodready import logs

    now = [1000.0]
    monkeypatch.setattr(logs.time, "monotonic", lambda: now[0])
    repeats = logs.RepeatsFilter(interval=60)

    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("psycopg.pool", logging.WARNING, __file__, 1, msg, args, None)

    outage = "error connecting in %r: %s"
    shown = [repeats.filter(record(outage, "pool-1", "refused")) for _ in range(30)]
    assert shown == [True] + [False] * 29  # three a second for ten seconds: one line
    assert repeats.filter(record("discarding broken connection: %s", "c"))  # another kind
    now[0] += 61
    late = record(outage, "pool-1", "refused")
    assert repeats.filter(late)
    assert late.getMessage() == "error connecting in 'pool-1': refused (29 more like it held back)"
