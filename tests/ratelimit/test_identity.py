"""Client identity: REMOTE_ADDR, trusted proxy hops, IPv6 grouping, junk."""

from __future__ import annotations

import ipaddress

import pytest

from prodready.ratelimit.identity import address_key, client_address, parse_address


def _key(meta: dict[str, str], hops: int) -> str | None:
    address = client_address(meta, hops)
    return None if address is None else address_key(address)


@pytest.mark.parametrize(
    ("meta", "hops", "expected"),
    [
        ({"REMOTE_ADDR": "10.0.0.1"}, 0, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}, 0, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"}, 1, "ip:1.2.3.4"),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9, 6.6.6.6, 1.2.3.4"},
            1,
            "ip:1.2.3.4",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4, 10.0.0.2"},
            2,
            "ip:1.2.3.4",
        ),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, 2, "ip:1.2.3.4"),
        ({"REMOTE_ADDR": "10.0.0.1"}, 1, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "a,b"}, 1, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4:80"}, 1, "ip:1.2.3.4"),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "[2001:db8::1]:443"},
            1,
            "ip:2001:db8::/64",
        ),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "x" * 10_000}, 1, "ip:10.0.0.1"),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "${jndi:ldap://x/a}"},
            1,
            "ip:10.0.0.1",
        ),
        ({"REMOTE_ADDR": "::ffff:1.2.3.4"}, 0, "ip:1.2.3.4"),
        ({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}, 0, "ip:2001:db8:1:2::/64"),
        ({"REMOTE_ADDR": ""}, 0, None),
        ({"REMOTE_ADDR": "a,b"}, 0, None),
        ({}, 0, None),
    ],
    ids=[
        "remote-addr",
        "header-ignored-without-proxies",
        "one-hop-takes-rightmost",
        "one-hop-ignores-prepended",
        "two-hops",
        "fewer-entries-than-hops",
        "no-header-behind-proxy",
        "junk-falls-back",
        "ipv4-with-port",
        "ipv6-with-port",
        "10kb-junk",
        "jndi",
        "ipv4-mapped-ipv6",
        "ipv6-grouped",
        "empty-remote-addr",
        "junk-remote-addr",
        "no-remote-addr",
    ],
)
def test_client_identity(meta: dict[str, str], hops: int, expected: str | None) -> None:
    assert _key(meta, hops) == expected


def test_ipv6_addresses_in_one_64_share_a_key() -> None:
    a = address_key(ipaddress.ip_address("2001:db8:0:1::1"))
    b = address_key(ipaddress.ip_address("2001:db8:0:1:ffff:ffff:ffff:ffff"))
    c = address_key(ipaddress.ip_address("2001:db8:0:2::1"))
    assert a == b != c


def test_ipv6_prefix_is_configurable() -> None:
    address = ipaddress.ip_address("2001:db8:0:1::1")
    assert address_key(address, 48) == "ip:2001:db8::/48"
    assert address_key(address, 128) == "ip:2001:db8:0:1::1/128"


@pytest.mark.parametrize(
    "junk",
    ["", " ", "[", "[::1", "1.2.3.4:x", "1:2", "\x00", "é"],
    ids=["empty", "space", "bracket", "open-bracket", "bad-port", "short", "nul", "non-ascii"],
)
def test_parse_address_never_raises(junk: str) -> None:
    assert parse_address(junk) is None
