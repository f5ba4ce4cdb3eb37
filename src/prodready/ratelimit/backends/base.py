"""What the limiter asks of a counter store, and what a store answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol


# A NamedTuple rather than a dataclass: built for every new client, and a
# tuple is the cheapest object Python constructs.
class Hit(NamedTuple):
    """One counter to increment: its base key and window length in seconds."""

    key: str
    period: int


#: A counter's value after the increment, and seconds until its window ends.
#: A plain tuple: one is built per rule on every request.
Count = tuple[int, float]


class StoreUnavailable(Exception):
    """The counter store did not answer in time; the limiter applies its failure policy."""


class CounterBackend(Protocol):
    """Increment fixed-window counters; the only thing the limiter asks of a store."""

    def hit(self, hits: Sequence[Hit]) -> list[Count]:
        """Increment every counter of one request; raise StoreUnavailable on failure."""
        ...

    async def ahit(self, hits: Sequence[Hit]) -> list[Count]:
        """Like :meth:`hit`, without blocking the event loop."""
        ...

    def close(self) -> None:
        """Release connections (at shutdown)."""
        ...

    async def aclose(self) -> None:
        """Release the connections of the running event loop (at shutdown)."""
        ...
