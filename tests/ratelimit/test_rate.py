"""Parsing rates, and the bounds that keep every counter key expiring."""

from __future__ import annotations

from importlib.resources import files

import pytest
import redis

from prodready.ratelimit import Rate, parse_rate
from prodready.ratelimit.rate import MAX_LIMIT, MAX_PERIOD
from tests.ratelimit.conftest import REDIS_URL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/h", Rate(100, 3600)),
        ("5/10m", Rate(5, 600)),
        ("1000/d", Rate(1000, 86400)),
        ("10/s", Rate(10, 1)),
        (" 7 / 2h ", Rate(7, 7200)),
        ("1000000000000/365d", Rate(10**12, 365 * 86400)),
        ("5/31536000s", Rate(5, 365 * 86400)),
        ("0001/0002h", Rate(1, 7200)),
    ],
    ids=[
        "per-hour",
        "per-10-minutes",
        "per-day",
        "per-second",
        "spaces",
        "largest",
        "365-days-in-seconds",
        "leading-zeros",
    ],
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1/99999999999999999999d", "window longer than 365 days"),
        ("1/366d", "window longer than 365 days"),
        ("1/31536001s", "window longer than 365 days"),
        ("1/8761h", "window longer than 365 days"),
        ("1000000000001/h", "more than 10\\*\\*12 requests"),
        ("9" * 5000 + "/h", "more than 10\\*\\*12 requests"),
        ("1/" + "9" * 5000 + "s", "window longer than 365 days"),
    ],
    ids=[
        "huge-window",
        "366-days",
        "a-second-too-long",
        "hours",
        "limit",
        "5000-digit-limit",
        "5000-digit-window",
    ],
)
def test_absurd_rate_is_refused_with_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^the rate '.{{1,43}}' .*{message}") as info:
        parse_rate(text)
    assert "Exceeds the limit" not in str(info.value)
    assert len(str(info.value)) < 200


def test_largest_rate_prints_as_written() -> None:
    assert str(Rate(MAX_LIMIT, MAX_PERIOD)) == "1000000000000/365d"


@pytest.mark.integration
def test_longest_window_key_expires_on_redis(prefix: str) -> None:
    # The Lua script gives every new key PEXPIRE period + 1 s; Redis must accept
    # that for the longest window parse_rate allows, or the key would live forever.
    script = (files("prodready.ratelimit") / "lua" / "fixed_window.lua").read_text()
    base = f"{prefix}:longest"
    with redis.Redis.from_url(REDIS_URL) as client:
        count, reset_ms = client.eval(script, 1, base, MAX_PERIOD)
        keys = list(client.scan_iter(f"{base}:*"))
        assert (count, len(keys)) == (1, 1)
        assert 0 < reset_ms <= MAX_PERIOD * 1000
        assert client.pttl(keys[0]) > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/hour", Rate(100, 3600)),
        ("100/day", Rate(100, 86400)),
        ("10/min", Rate(10, 60)),
        ("2/minute", Rate(2, 60)),
        ("5/second", Rate(5, 1)),
        ("5/sec", Rate(5, 1)),
        ("60 per minute", Rate(60, 60)),
        ("3 per 10 minutes", Rate(3, 600)),
        ("7/10m", Rate(7, 600)),
        ("1/Hour", Rate(1, 3600)),
    ],
)
def test_the_spellings_of_django_ratelimit_drf_and_limits(text: str, expected: Rate) -> None:
    assert parse_rate(text) == expected
