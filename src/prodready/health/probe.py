"""The checks behind one endpoint, with a short-lived result cache and a single run in flight."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prodready.conf import get_conf
from prodready.health.base import Check, Observation, Result
from prodready.health.runner import run_checks, timed_out, utc_now

# Kept for rendering: the checks get HEALTH_TIMEOUT minus this, so that the
# answer, not just the checks, is in within HEALTH_TIMEOUT.
RESPONSE_MARGIN = 0.05
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
RESERVED_FIELDS = frozenset({"status", "timestamp", "checks", "details", "draining"})


@dataclass(frozen=True, slots=True)
class Report:
    """The results of one run of a probe's checks, and the values of its extras."""

    results: tuple[Result, ...]
    generated_at: datetime
    extras: Mapping[str, object] = field(default_factory=dict)

    @property
    def passing(self) -> bool:
        """Tell whether no check failed or timed out (warnings pass)."""
        return not any(result.failing for result in self.results)


class Extra(Check):
    """Wrap a function whose return value is added to the body (a readiness extra)."""

    def __init__(self, name: str, function: Callable[[], object]) -> None:
        """Name the extra ``name``; ``function`` is called without arguments, in a thread."""
        self.name = name
        self.function = function

    def run(self) -> Observation:
        """Call the function; its value goes to the body under the extra's name."""
        return Observation(value=self.function())


def budget(timeout: float) -> float:
    """Return the seconds the checks get out of a ``timeout`` for the whole answer."""
    return max(timeout - RESPONSE_MARGIN, timeout / 2)


class Probe:
    """Run checks (and extras) for one endpoint; reuse the report for a short period.

    The report is cached per process for ``HEALTH_CACHE_SECONDS`` (counted from
    the end of the run). Probes that arrive while a run is in flight wait for
    it rather than start another, from any thread or event loop, so a probe
    storm costs one run per period.

    Args:
        checks: Checks that decide the status.
        extras: Name -> function of values shown in the body; they never
            decide the status, and a failing or late one shows ``null``.

    Raises:
        ValueError: two checks or extras share a name, or a name is not made of
            letters, digits and underscores, or an extra takes a reserved name.
    """

    def __init__(
        self, checks: Iterable[Check], extras: Mapping[str, Callable[[], object]] | None = None
    ) -> None:
        self.checks = tuple(checks)
        self.extras = tuple(Extra(name, function) for name, function in (extras or {}).items())
        names = [check.name for check in (*self.checks, *self.extras)]
        for name in names:
            if not _NAME.match(name) or names.count(name) > 1:
                raise ValueError(
                    f"the check or extra name {name!r} is taken twice or is not made of "
                    "letters, digits and underscores; give each check a unique name."
                )
        for extra in self.extras:
            if extra.name in RESERVED_FIELDS:
                raise ValueError(f"the extra name {extra.name!r} is a field of the body already.")
        self._lock = threading.Lock()
        self._cached: Report | None = None
        self._cached_at = 0.0
        self._flight: concurrent.futures.Future[Report] | None = None
        self._task: asyncio.Task[None] | None = None

    async def report(self) -> Report:
        """Return a report at most ``HEALTH_CACHE_SECONDS`` old, within ``HEALTH_TIMEOUT``."""
        conf = get_conf()
        with self._lock:
            if self._cached is not None and (
                time.monotonic() - self._cached_at < conf.health_cache_seconds
            ):
                return self._cached
            flight = self._flight
            if flight is None:
                flight = self._flight = concurrent.futures.Future()
                flight.set_running_or_notify_cancel()
                # A task of its own: if the request that started the run is
                # cancelled (its client went away), the run still completes
                # for the requests waiting on it.
                self._task = asyncio.get_running_loop().create_task(
                    self._run(flight, budget(conf.health_timeout))
                )
        try:
            return await asyncio.wait_for(asyncio.wrap_future(flight), conf.health_timeout)
        except TimeoutError:
            # Only if the loop that runs the checks is stuck: answer anyway.
            return self._timed_out(budget(conf.health_timeout))

    async def _run(self, flight: concurrent.futures.Future[Report], seconds: float) -> None:
        report = None
        try:
            results = await run_checks((*self.checks, *self.extras), seconds)
            count = len(self.checks)
            report = Report(
                results=tuple(results[:count]),
                generated_at=utc_now(),
                extras={
                    result.name: result.value if result.status == "ok" else None
                    for result in results[count:]
                },
            )
        finally:
            with self._lock:
                if report is not None:
                    self._cached, self._cached_at = report, time.monotonic()
                self._flight = None
            flight.set_result(report if report is not None else self._timed_out(seconds))

    def _timed_out(self, seconds: float) -> Report:
        now = utc_now()
        return Report(
            results=tuple(timed_out(check, now, seconds, seconds) for check in self.checks),
            generated_at=now,
            extras={extra.name: None for extra in self.extras},
        )
