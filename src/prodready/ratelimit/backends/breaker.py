"""Fail fast while a store is down: the circuit breaker of the Redis backend."""

from __future__ import annotations

import threading
import time

from prodready.ratelimit.backends.base import StoreUnavailable


class Breaker:
    """Fail fast while a store is down; let one call through every ``retry_after`` seconds.

    Without it every request would wait the full timeout of a hung store; with
    it, only the calls in flight when the store stops answering do, and the
    rest get the failure policy at once until a trial call succeeds.
    """

    __slots__ = ("_lock", "_reason", "failures", "retry_after", "retry_at")

    def __init__(self, retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        #: 0.0 while the store answers; else when the next trial call may go (monotonic).
        self.retry_at = 0.0
        #: Failures so far: a call that started before the latest one cannot close the breaker.
        self.failures = 0
        self._reason = ""
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise StoreUnavailable unless the store is up or this call is the trial."""
        with self._lock:
            now = time.monotonic()
            if now < self.retry_at:
                raise StoreUnavailable(f"{self._reason}; next try in under {self.retry_after:g} s")
            self.retry_at = now + self.retry_after  # this caller is the trial

    def failed(self, reason: str) -> None:
        """Record a failure: calls fail fast for ``retry_after`` seconds."""
        with self._lock:
            self._reason = reason
            self.failures += 1
            self.retry_at = time.monotonic() + self.retry_after

    def succeeded(self, failures: int) -> None:
        """Record a success of a call that started after ``failures`` failures."""
        with self._lock:
            if failures == self.failures:  # no failure since the call started
                self.retry_at = 0.0
