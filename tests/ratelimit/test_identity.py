"""Client identity: REMOTE_ADDR, trusted proxy hops or networks, IPv6 grouping, junk."""

from __future__ import annotations

import ipaddress
import re

import pytest

from prodready.ratelimit.identity import (
    TrustedProxies,
    address_key,
    client_address,
    parse_address,
    parse_trusted_proxies,
)


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


def _net(*texts: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(text) for text in texts)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("1", 1),
        (" 2 ", 2),
        ("007", 7),
        (3, 3),
        (0, 0),
        ("10.0.0.0/8, 192.168.1.5", _net("10.0.0.0/8", "192.168.1.5/32")),
        ("2001:db8::/32,::1", _net("2001:db8::/32", "::1/128")),
        ("172.16.0.0/12", _net("172.16.0.0/12")),
    ],
    ids=[
        "zero",
        "one-hop",
        "spaces",
        "leading-zeros",
        "int",
        "int-zero",
        "cidr-and-address",
        "ipv6",
        "one-cidr",
    ],
)
def test_parse_trusted_proxies(value: str | int, expected: TrustedProxies) -> None:
    assert parse_trusted_proxies(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "the hop count -1 is negative"),
        (-1, "the hop count -1 is negative"),
        ("256", "the hop count 256 is more than 255 proxies"),
        ("9" * 5000, "the hop count 9999999999"),
        ("1.5", "'1.5' is not an IP address or CIDR network"),
        ("proxy.internal", "'proxy.internal' is not an IP address or CIDR network"),
        ("10.0.0.0/33", "'10.0.0.0/33' is not an IP address or CIDR network"),
        ("10.0.0.1/8", "'10.0.0.1/8' has host bits set; write the network, e.g. 10.0.0.0/8"),
        ("*", "'*' would trust the X-Forwarded-For of every client"),
        ("1, 10.0.0.0/8", "'1' is a hop count in a list of networks"),
        ("10.0.0.0/8,,192.168.0.0/16", "'10.0.0.0/8,,192.168.0.0/16' has an empty entry"),
        ("", "the value is empty; expected a hop count such as 1, or comma-separated CIDRs"),
        (True, "bool True is not a hop count"),
    ],
    ids=[
        "negative",
        "negative-int",
        "too-many-hops",
        "5000-digits",
        "decimal",
        "host-name",
        "prefix-too-long",
        "host-bits",
        "wildcard",
        "mixed",
        "empty-entry",
        "empty",
        "bool",
    ],
)
def test_bad_trusted_proxies_say_why_in_one_sentence(value: str | int, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)) as info:
        parse_trusted_proxies(value)
    assert "\n" not in str(info.value)
    assert len(str(info.value)) < 200


PROXIES = _net("10.0.0.0/8", "192.168.1.5/32", "2001:db8:ffff::/48")


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "ip:1.2.3.4"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4"}, "ip:1.2.3.4"),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 6.6.6.6, 1.2.3.4"},
            "ip:1.2.3.4",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 1.2.3.4, 192.168.1.5"},
            "ip:1.2.3.4",
        ),
        (
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 10.0.0.2, 10.0.0.3"},
            "ip:1.2.3.4",
        ),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "10.0.0.2, 10.0.0.3"}, "ip:10.0.0.2"),
        ({"REMOTE_ADDR": "10.0.0.1"}, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": " , "}, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "6.6.6.6", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "ip:6.6.6.6"),
        ({"REMOTE_ADDR": "192.168.1.6", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "ip:192.168.1.6"),
        ({"REMOTE_ADDR": "192.168.1.5", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "ip:1.2.3.4"),
        ({"REMOTE_ADDR": "::ffff:10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, "ip:1.2.3.4"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, junk"}, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "x" * 10_000}, "ip:10.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "junk, 1.2.3.4"}, "ip:1.2.3.4"),
        (
            {"REMOTE_ADDR": "2001:db8:ffff::1", "HTTP_X_FORWARDED_FOR": "2001:db8:1:2::9"},
            "ip:2001:db8:1:2::/64",
        ),
        (
            {
                "REMOTE_ADDR": "[2001:db8:ffff::1]:443",
                "HTTP_X_FORWARDED_FOR": "2001:db8:1:2::9, 2001:db8:ffff:0:1::2",
            },
            "ip:2001:db8:1:2::/64",
        ),
        (
            {"REMOTE_ADDR": "2001:db8:fffe::1", "HTTP_X_FORWARDED_FOR": "2001:db8:1:2::9"},
            "ip:2001:db8:fffe::/64",
        ),
        ({"REMOTE_ADDR": "junk", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}, None),
    ],
    ids=[
        "behind-one-proxy",
        "spoofed-prepend-changes-nothing",
        "spoofed-trusted-prepend-changes-nothing",
        "two-proxies",
        "trusted-entries-skipped",
        "every-entry-trusted-takes-leftmost",
        "no-header",
        "empty-header",
        "untrusted-peer-ignores-header",
        "address-next-to-a-trusted-one",
        "trusted-single-address",
        "ipv4-mapped-peer",
        "junk-on-the-right-falls-back",
        "10kb-junk",
        "junk-left-of-the-client-ignored",
        "ipv6-cidr",
        "ipv6-peer-with-port-and-two-proxies",
        "ipv6-peer-outside",
        "junk-peer",
    ],
)
def test_client_behind_trusted_networks(meta: dict[str, str], expected: str | None) -> None:
    address = client_address(meta, PROXIES)
    assert (None if address is None else address_key(address)) == expected


def test_spoofed_prepends_give_the_same_client_as_none() -> None:
    honest = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    for spoof in ("6.6.6.6", "10.0.0.7", "192.168.1.5", "::1", "junk", "1.2.3.4, 9.9.9.9"):
        spoofed = {**honest, "HTTP_X_FORWARDED_FOR": f"{spoof}, 1.2.3.4"}
        assert client_address(spoofed, PROXIES) == client_address(honest, PROXIES)
        assert client_address(spoofed, 1) == client_address(honest, 1)


def test_no_trusted_networks_is_falsy_and_reads_no_header() -> None:
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    assert not parse_trusted_proxies("0")
    assert client_address(meta, ()) == ipaddress.ip_address("10.0.0.1")
