"""The PRODREADY setting: what the profile hands to the run-time reader."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from prodready import ConfigurationError, Profile
from prodready.conf import get_conf
from prodready.ratelimit.identity import TrustedProxies


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("2", 2),
        (
            "10.0.0.0/8, 192.168.1.5, 2001:db8::/32",
            (
                ipaddress.ip_network("10.0.0.0/8"),
                ipaddress.ip_network("192.168.1.5/32"),
                ipaddress.ip_network("2001:db8::/32"),
            ),
        ),
    ],
    ids=["no-proxies", "two-hops", "networks"],
)
def test_trusted_proxies_reach_the_run_time_settings(
    value: str, expected: TrustedProxies, load: Callable[..., Profile]
) -> None:
    prodready = load(RATELIMIT_TRUSTED_PROXIES=value).django_settings()["PRODREADY"]
    with override_settings(PRODREADY=prodready):
        assert get_conf().ratelimit_trusted_proxies == expected


def test_trusted_proxies_default_to_none(load: Callable[..., Profile]) -> None:
    assert load().ratelimit_trusted_proxies == "0"
    with override_settings(PRODREADY={}):
        assert get_conf().ratelimit_trusted_proxies == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [(1, 1), ("1", 1), ("10.1.2.3", (ipaddress.ip_network("10.1.2.3/32"),))],
    ids=["int", "string", "address"],
)
def test_hand_written_settings_may_give_an_int_or_a_string(
    given: Any, expected: TrustedProxies
) -> None:
    with override_settings(PRODREADY={"RATELIMIT": {"TRUSTED_PROXIES": given}}):
        assert get_conf().ratelimit_trusted_proxies == expected


def test_ratelimit_timeout_defaults_to_half_a_second(load: Callable[..., Profile]) -> None:
    assert load().django_settings()["PRODREADY"]["RATELIMIT"]["TIMEOUT"] == 0.5
    with override_settings(PRODREADY={}):
        assert get_conf().ratelimit_timeout == 0.5


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 4),
        ({"DB_POOL_MAX_SIZE": "7"}, 7),
        ({"ASGI_THREADS": "3"}, 3),
        ({"ASGI_THREADS": "16", "DB_POOL_MAX_SIZE": "7"}, 16),
        ({"ASGI_THREADS": "256"}, 256),
    ],
    ids=["pool-default", "pool-size", "set", "set-over-pool-size", "largest"],
)
def test_asgi_threads_default_to_the_pool_size_and_reach_the_run_time_settings(
    env: dict[str, str], expected: int, load: Callable[..., Profile]
) -> None:
    prodready = load(**env).django_settings()["PRODREADY"]
    assert prodready["ASGI_THREADS"] == expected
    with override_settings(PRODREADY=prodready):
        assert get_conf().asgi_threads == expected


def test_asgi_threads_default_to_four_in_hand_written_settings() -> None:
    with override_settings(PRODREADY={}):
        assert get_conf().asgi_threads == 4


@pytest.mark.parametrize("value", ["0", "-1", "257", "2.5", "abc"])
def test_asgi_threads_out_of_range_are_refused(value: str, load: Callable[..., Profile]) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(ASGI_THREADS=value)
    assert [str(p) for p in info.value.problems] == [
        f"ASGI_THREADS: '{value}' (from environment) is not valid; expected a whole number "
        "from 1 to 256, e.g. ASGI_THREADS=4."
    ]
