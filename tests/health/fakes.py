"""Checks that behave on command, for tests of the runner, the probe and the views."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prodready.health import Check, CheckFailed, CheckWarning, Measurement, Observation


@dataclass(eq=False)
class FakeCheck(Check):
    """A blocking check: passes, warns, fails, raises or blocks until released, and counts runs."""

    name: str = "fake"
    outcome: str = "ok"
    message: str = "boom at db.internal:5432 for user admin"
    runs: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    component_type: str = "datastore"

    def run(self) -> Observation | None:
        self.runs += 1
        if self.outcome == "block":
            self.release.wait(timeout=30)
        if self.outcome == "warn":
            raise CheckWarning(self.message)
        if self.outcome == "failed":
            raise CheckFailed(self.message)
        if self.outcome == "raise":
            raise ConnectionError(self.message)
        if self.outcome == "measure":
            return Observation((Measurement("connections", 3, "connections"),))
        return None


@dataclass(eq=False)
class AsyncFakeCheck(Check):
    """An async check that passes, or sleeps far past any deadline."""

    name: str = "async_fake"
    outcome: str = "ok"
    runs: int = 0
    cancelled: int = 0

    async def run(self) -> Observation | None:
        self.runs += 1
        if self.outcome == "sleep":
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        if self.outcome == "raise":
            raise ValueError("async boom at 10.0.0.3")
        return None


class RecordingHandler(logging.Handler):
    """Keep the records a logger emits, whatever the logging configuration says."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        """Return the records' messages."""
        return [record.getMessage() for record in self.records]


@contextlib.contextmanager
def recording(name: str = "prodready.health") -> Iterator[RecordingHandler]:
    """Record what logger ``name`` emits at INFO and above, for the block's duration."""
    logger = logging.getLogger(name)
    handler, level = RecordingHandler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
