"""The PRODREADY setting: what the profile hands to the run-time reader."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from prodready import Profile
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
