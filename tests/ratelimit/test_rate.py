"""Parsing rates."""

from __future__ import annotations

import pytest

from prodready.ratelimit import Rate, parse_rate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/h", Rate(100, 3600)),
        ("5/10m", Rate(5, 600)),
        ("1000/d", Rate(1000, 86400)),
        ("10/s", Rate(10, 1)),
        (" 7 / 2h ", Rate(7, 7200)),
    ],
    ids=["per-hour", "per-10-minutes", "per-day", "per-second", "spaces"],
)
def test_parse_rate(text: str, expected: Rate) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize(
    "text",
    ["100", "100/x", "0/h", "5/0m", "-1/h", "ten/h", "100/h/", ""],
    ids=[
        "no-unit",
        "bad-unit",
        "zero-limit",
        "zero-count",
        "negative",
        "word",
        "trailing",
        "empty",
    ],
)
def test_bad_rate_says_what_a_rate_looks_like(text: str) -> None:
    with pytest.raises(ValueError, match=r"the rate '.*'"):
        parse_rate(text)


@pytest.mark.parametrize(
    ("rate", "text"),
    [(Rate(100, 3600), "100/h"), (Rate(5, 600), "5/10m"), (Rate(3, 90), "3/90s")],
    ids=["hour", "ten-minutes", "seconds"],
)
def test_rate_prints_as_written(rate: Rate, text: str) -> None:
    assert str(rate) == text
