"""What a limit is: a ``Rate`` of N requests per window."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(?P<limit>\d+)\s*/\s*(?P<count>\d*)\s*(?P<unit>[smhd])\s*$")


@dataclass(frozen=True, slots=True)
class Rate:
    """``limit`` requests per ``period`` seconds, counted in fixed windows.

    Attributes:
        limit: Requests allowed in one window (≥ 1).
        period: Length of the window in seconds (≥ 1).
    """

    limit: int
    period: int

    def __str__(self) -> str:
        for unit, seconds in sorted(_UNITS.items(), key=lambda item: -item[1]):
            if self.period % seconds == 0:
                count = self.period // seconds
                return f"{self.limit}/{'' if count == 1 else count}{unit}"
        raise AssertionError("every period is a whole number of seconds")  # pragma: no cover


def parse_rate(text: str) -> Rate:
    """Parse ``N/[k](s|m|h|d)``, e.g. ``100/h``, ``5/10m``, ``1000/d``, ``10/s``.

    Raises:
        ValueError: with a sentence saying what the rate should look like.
    """
    match = _RATE.match(text)
    if match is None:
        raise ValueError(
            f"the rate '{text}' is not N/[k](s|m|h|d), e.g. 100/h, 5/10m, 1000/d or 10/s"
        )
    limit = int(match["limit"])
    count = int(match["count"] or 1)
    if limit < 1 or count < 1:
        raise ValueError(f"the rate '{text}' must allow at least 1 request per at least 1 unit")
    return Rate(limit=limit, period=count * _UNITS[match["unit"]])
