"""Run checks concurrently under one deadline, never more than one run of a check at a time.

A blocking check runs in a daemon thread of its own (its *lane*): when a probe
arrives while the previous run of that check is still going (a database that
hangs), the probe waits for that same run instead of starting another, so a
hung dependency costs one thread and one connection, however many probes
come. Asynchronous checks run on the caller's event loop and are cancelled at
the deadline. Django's shared ``thread_sensitive`` thread is never used: one
hung check there would stall every synchronous view of the process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import cast

from asgiref.sync import iscoroutinefunction

from prodready.health.base import Check, CheckFailed, CheckWarning, Observation, Result, Status
from prodready.masking import mask

logger = logging.getLogger("prodready.health")

# A lane's thread ends after this long without work; the next run starts another.
LANE_IDLE_SECONDS = 60.0


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


async def run_checks(checks: Sequence[Check], budget: float) -> list[Result]:
    """Run ``checks`` concurrently; a check still running after ``budget`` seconds times out.

    Returns one result per check, in order, after at most ``budget`` seconds.
    """
    observed_at, started = utc_now(), time.monotonic()
    waiters: list[asyncio.Future[Result]] = [
        asyncio.ensure_future(_execute_async(check))
        if iscoroutinefunction(check.run)
        else asyncio.wrap_future(_entry(check).submit())
        for check in checks
    ]
    done: set[asyncio.Future[Result]] = set()
    if waiters:
        done, pending = await asyncio.wait(waiters, timeout=budget)
        for waiter in pending:
            # A lane's run goes on (its thread cannot be stopped); it is already
            # marked running, so this cancels only our wait for it.
            waiter.cancel()
    elapsed = time.monotonic() - started
    results = []
    for check, waiter in zip(checks, waiters, strict=True):
        if waiter in done and not waiter.cancelled():
            results.append(waiter.result())
        else:
            results.append(timed_out(check, observed_at, elapsed, budget))
    return results


def timed_out(check: Check, observed_at: datetime, elapsed: float, budget: float) -> Result:
    """Return the result of ``check`` that did not answer within ``budget`` seconds."""
    result = Result(
        name=check.name,
        component_type=check.component_type,
        component_id=check.component_id,
        status="timeout",
        seconds=elapsed,
        observed_at=observed_at,
        detail=f"no answer within {budget:.3f} s",
    )
    _entry(check).record(result, None)
    return result


async def _execute_async(check: Check) -> Result:
    observed_at, started = utc_now(), time.monotonic()
    try:
        outcome = await cast("Awaitable[Observation | None]", check.run())
    except Exception as exc:  # every failure of a check is a result
        result = _entry(check).conclude(observed_at, started, None, exc)
        _drop_tracebacks(exc)
        return result
    return _entry(check).conclude(observed_at, started, outcome, None)


def _execute(check: Check) -> Result:
    observed_at, started = utc_now(), time.monotonic()
    try:
        outcome = check.run()
        if isinstance(outcome, Awaitable):
            close = getattr(outcome, "close", None)
            if close is not None:
                close()
            raise TypeError(f"{type(check).__name__}.run() returned an awaitable; use 'async def'")
    except Exception as exc:  # every failure of a check is a result
        result = _entry(check).conclude(observed_at, started, None, exc)
        _drop_tracebacks(exc)
        return result
    return _entry(check).conclude(observed_at, started, outcome, None)


def _drop_tracebacks(error: BaseException | None) -> None:
    """Free the frames of a logged error now rather than at the next garbage collection.

    psycopg's ``connect()`` keeps the failed attempt in a reference cycle
    (error -> traceback -> frame -> list of errors -> error): its socket would
    stay open until the collector runs, one more per failed probe of a hung
    server.
    """
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        todo += [current.__cause__, current.__context__]


def _close_django_connections() -> None:
    """Close (or give back to their pool) the connections a check opened in its thread."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # a broken connection may fail to close; it is gone
            logger.debug("closing the connection '%s' after a check failed", connection.alias)


class _Entry:
    """One check's lane (its thread, its run in flight) and its log state."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        self._todo: queue.SimpleQueue[concurrent.futures.Future[Result]] = queue.SimpleQueue()
        self._current: concurrent.futures.Future[Result] | None = None
        self._logged: tuple[Status, str | None] | None = None

    def submit(self) -> concurrent.futures.Future[Result]:
        """Return the run in flight of the check, or start one in its lane."""
        with self._lock:
            if self._pid != os.getpid():
                # A forked child inherits this object but not the thread.
                self._pid, self._thread, self._current = os.getpid(), None, None
                self._todo = queue.SimpleQueue()
            if self._current is not None and not self._current.done():
                return self._current
            future: concurrent.futures.Future[Result] = concurrent.futures.Future()
            # Running futures cannot be cancelled: a probe that stops waiting
            # cannot take the run away from the probes that still wait for it.
            future.set_running_or_notify_cancel()
            self._current = future
            self._todo.put(future)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name=f"prodready-health-{self.check.name}", daemon=True
                )
                self._thread.start()
        return future

    def _serve(self) -> None:
        try:
            while (future := self._next()) is not None:
                result = None
                try:
                    result = _execute(self.check)
                finally:
                    # Connections go back before anyone hears the result.
                    _close_django_connections()
                    future.set_result(result if result is not None else self._interrupted())
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _next(self) -> concurrent.futures.Future[Result] | None:
        """Wait for the next run; return None when the lane has been idle long enough."""
        while True:
            try:
                return self._todo.get(timeout=LANE_IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    # submit() puts work under this lock: nothing can slip in
                    # between this look and the thread's end.
                    if self._todo.empty():
                        self._thread = None
                        return None

    def _interrupted(self) -> Result:
        """The result of a run that ``run()`` ended with SystemExit or the like."""
        return Result(
            name=self.check.name,
            component_type=self.check.component_type,
            component_id=self.check.component_id,
            status="failed",
            seconds=0.0,
            observed_at=utc_now(),
            detail="the check's thread was interrupted",
        )

    def conclude(
        self,
        observed_at: datetime,
        started: float,
        outcome: Observation | None,
        error: Exception | None,
    ) -> Result:
        """Turn what ``run()`` returned or raised into a result, and log it if it is news."""
        status: Status = "ok"
        detail = None
        if isinstance(error, CheckWarning):
            status, detail = "warn", str(error)
        elif isinstance(error, CheckFailed):
            status, detail = "failed", str(error)
        elif error is not None:
            status, detail = "failed", f"{type(error).__name__}: {error}".strip()
        elif outcome is not None and outcome.warning:
            status, detail = "warn", outcome.warning
        if outcome is not None and not isinstance(outcome, Observation):
            status, detail = "failed", f"run() returned {type(outcome).__name__}, not Observation"
            outcome = None
        result = Result(
            name=self.check.name,
            component_type=self.check.component_type,
            component_id=self.check.component_id,
            status=status,
            seconds=time.monotonic() - started,
            observed_at=observed_at,
            measurements=outcome.measurements if outcome is not None else (),
            detail=mask(detail) if detail else None,
            value=outcome.value if outcome is not None else None,
        )
        self.record(result, error)
        return result

    def record(self, result: Result, error: Exception | None) -> None:
        """Log ``result`` when it changes what the log last said about the check.

        An outage is logged once when it starts (with the full error) and once
        when it ends, not on every probe. A timeout is news only after a
        success: while a dependency hangs, the late error of the stuck run is
        what the log should keep.
        """
        kind = type(error).__name__ if error is not None else None
        with self._lock:
            last = self._logged
            if result.status == "timeout" and last is not None and last[0] in ("failed", "timeout"):
                return
            if (result.status, kind) == last or (result.status == "ok" and last is None):
                self._logged = (result.status, kind)
                return
            self._logged = (result.status, kind)
        name = self.check.name
        if result.status == "ok":
            logger.info("health check '%s' passes again", name)
        elif result.status == "warn":
            logger.warning("health check '%s' warns: %s", name, result.detail)
        elif result.status == "timeout":
            logger.warning("health check '%s' timed out: %s", name, result.detail)
        elif isinstance(error, CheckFailed):
            logger.warning("health check '%s' failed: %s", name, result.detail)
        else:
            logger.warning("health check '%s' failed: %s", name, result.detail, exc_info=error)


_entries_lock = threading.Lock()
_entries: dict[int, _Entry] = {}


def _entry(check: Check) -> _Entry:
    # Keyed by identity: checks are few and live as long as the URLconf, and
    # the entry holds the check, so its id cannot be reused while it is here.
    with _entries_lock:
        entry = _entries.get(id(check))
        if entry is None:
            entry = _entries[id(check)] = _Entry(check)
        return entry
