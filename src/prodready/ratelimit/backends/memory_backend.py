"""Counts in this process's memory: the default without Redis (one process, one count)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from prodready.ratelimit.backends.base import Count, Hit

_time = time.time


class MemoryBackend:
    """Counters in this process's memory: what a local-memory cache gives, without its cost.

    Exact across the threads of one process; each worker process counts on
    its own (prodready.W001 warns when WEB_CONCURRENCY > 1). Counters of ended
    windows are dropped every few seconds, so memory follows live windows.
    """

    _SWEEP_EVERY = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> [end of its window (epoch seconds), count]
        self._counters: dict[str, list[Any]] = {}
        self._next_sweep = 0.0

    def hit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment each counter in memory."""
        counts: list[Count] = []
        with self._lock:
            now = _time()  # under the lock: windows open in the order of the hits
            counters = self._counters
            for key, period in hits:
                entry = counters.get(key)
                # A new window when the counter's has ended, or when the clock
                # stepped back before its start (NTP, a resumed VM).
                if entry is None or not entry[0] - period <= now < entry[0]:
                    # Windows are aligned on multiples of the period, as in Redis.
                    counters[key] = entry = [(now // period + 1) * period, 0]
                entry[1] += 1
                counts.append((entry[1], entry[0] - now))
            if now >= self._next_sweep:
                self._sweep(now)
        return counts

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._SWEEP_EVERY
        ended = [key for key, (end, _) in self._counters.items() if end <= now]
        for key in ended:
            del self._counters[key]

    def __len__(self) -> int:
        return len(self._counters)

    async def ahit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment each counter; no I/O, so no thread hop."""
        return self.hit(hits)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""
