"""What a limit is: a ``Rate`` of N requests per window."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The largest limit a rate may allow in one window.
MAX_LIMIT = 10**12
#: The longest window a rate may count in, in seconds (365 days): every counter
#: key must get an expiry the store accepts.
MAX_PERIOD = 365 * 86400
# Numbers with more significant digits than these are over the bounds above;
# checking the length first keeps int() away from absurd digit strings.
_MAX_LIMIT_DIGITS = len(str(MAX_LIMIT))
_MAX_COUNT_DIGITS = len(str(MAX_PERIOD))
# A rate longer than this is not quoted whole in an error message.
_MAX_SHOWN = 40
# The units django-ratelimit, DRF and limits accept: s, sec, second(s); m, min,
# minute(s); h, hr, hour(s); d, day(s). "N/unit", "N/kunit" or "N per [k] unit".
_UNIT_WORDS = "s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?"
_RATE = re.compile(
    rf"^\s*(?P<limit>\d+)\s*(?:/|\s+per\s+)\s*(?P<count>\d*)\s*(?P<unit>{_UNIT_WORDS})\s*$",
    re.IGNORECASE,
)
_FORM = "N/[k]unit or 'N per [k] unit' (units s, sec, second, m, min, minute, h, hour, d, day)"


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


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."


def parse_rate(text: str) -> Rate:
    """Parse ``N/[k]unit`` or ``N per [k] unit``, e.g. ``100/h``, ``5/10m``, ``1000/day``.

    Units: ``s``/``sec``/``second``, ``m``/``min``/``minute``, ``h``/``hour``,
    ``d``/``day`` (plurals too, any case), as django-ratelimit, DRF and limits
    write them.

    The limit is at most ``MAX_LIMIT`` (10**12) requests and the window at most
    ``MAX_PERIOD`` (365 days).

    Raises:
        ValueError: with a sentence saying what the rate should look like.
    """
    match = _RATE.match(text)
    if match is None:
        raise ValueError(
            f"the rate '{_shown(text)}' is not {_FORM}, e.g. 100/h, 5/10m, 1000/day, "
            "10/second or '60 per minute'"
        )
    if len(match["limit"].lstrip("0")) > _MAX_LIMIT_DIGITS:
        raise ValueError(_too_many(text))
    if len(match["count"].lstrip("0")) > _MAX_COUNT_DIGITS:
        raise ValueError(_too_long(text))
    limit = int(match["limit"])
    count = int(match["count"] or 1)
    if limit < 1 or count < 1:
        raise ValueError(
            f"the rate '{_shown(text)}' must allow at least 1 request per at least 1 unit"
        )
    if limit > MAX_LIMIT:
        raise ValueError(_too_many(text))
    period = count * _UNITS[match["unit"][0].lower()]
    if period > MAX_PERIOD:
        raise ValueError(_too_long(text))
    return Rate(limit=limit, period=period)


def _too_many(text: str) -> str:
    return (
        f"the rate '{_shown(text)}' allows more than 10**12 requests per window; "
        "use a limit of at most 1000000000000"
    )


def _too_long(text: str) -> str:
    return (
        f"the rate '{_shown(text)}' counts in a window longer than 365 days; "
        "use a window of at most 365d"
    )
