"""Who a request comes from: the client address behind trusted proxies, or the user."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

# Longer values are junk or an attack; parsing them is wasted work.
_MAX_ADDRESS_LENGTH = 64
# More hops than this is a typo, not a deployment.
_MAX_HOPS = 255
_HOPS = re.compile(r"[+-]?[0-9]+")
# A longer value is not quoted whole in an error message.
_MAX_SHOWN = 60

#: The proxies whose X-Forwarded-For entries are believed: a number of hops, or
#: the networks they sit in. ``0`` (and an empty tuple) trusts none.
TrustedProxies = int | tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_PROXIES_FORM = (
    "a hop count such as 1, or comma-separated CIDRs or addresses such as 10.0.0.0/8, 192.168.1.5"
)


def parse_trusted_proxies(value: str | int) -> TrustedProxies:
    """Parse ``RATELIMIT_TRUSTED_PROXIES``: a hop count, or a list of CIDRs and addresses.

    ``"0"`` and ``"1"`` give hop counts; ``"10.0.0.0/8, 192.168.1.5"`` gives
    networks, a bare address standing for its /32 (or /128 for IPv6).

    Raises:
        ValueError: with a sentence naming the entry that is neither.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{type(value).__name__} {value!r} is not {_PROXIES_FORM}")
    text = str(value).strip()
    if _HOPS.fullmatch(text):
        digits = text.lstrip("+0")
        if text.startswith("-"):
            raise ValueError(f"the hop count {_shown(text)} is negative; use 0 or more")
        if len(digits) > len(str(_MAX_HOPS)) or int(digits or "0") > _MAX_HOPS:
            raise ValueError(
                f"the hop count {_shown(text)} is more than {_MAX_HOPS} proxies; "
                "count the proxies that append to X-Forwarded-For"
            )
        return int(digits or "0")
    if not text:
        raise ValueError(f"the value is empty; expected {_PROXIES_FORM}")
    entries = [entry.strip() for entry in text.split(",")]
    if not all(entries):
        raise ValueError(f"'{_shown(text)}' has an empty entry; expected {_PROXIES_FORM}")
    return tuple(_network(entry) for entry in entries)


def _network(entry: str) -> _Network:
    if entry == "*":
        raise ValueError(
            "'*' would trust the X-Forwarded-For of every client; list the proxies' "
            "networks instead, e.g. 10.0.0.0/8"
        )
    if _HOPS.fullmatch(entry):
        raise ValueError(
            f"'{_shown(entry)}' is a hop count in a list of networks; use one or the other"
        )
    try:
        return ipaddress.ip_network(entry)
    except ValueError:
        pass
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError as err:
        raise ValueError(f"'{_shown(entry)}' is not an IP address or CIDR network") from err
    raise ValueError(f"'{_shown(entry)}' has host bits set; write the network, e.g. {network}")


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."


def parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse one address as proxies write it (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``).

    Returns ``None`` for anything that is not an IP address; never raises.
    """
    text = value.strip().strip('"')
    if not text or len(text) > _MAX_ADDRESS_LENGTH:
        return None
    if text.startswith("["):
        end = text.find("]")
        port = text[end + 2 :] if text[end + 1 : end + 2] == ":" else text[end + 1 :]
        text = text[1:end] if end > 0 and (not port or port.isdigit()) else ""
    elif text.count(":") == 1:
        host, port = text.split(":", 1)  # IPv4 with a port
        text = host if port.isdigit() else ""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(
    meta: Mapping[str, Any], trusted_proxies: TrustedProxies
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the client's address, trusting the proxies ``trusted_proxies`` describes.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For. With a hop count, the client is the entry that many places
    from the right. With networks, the header counts only when ``REMOTE_ADDR``
    is inside one of them; the client is then the rightmost entry outside them
    (the leftmost entry when all are inside). Entries further left were written
    by the client and are ignored. With no trusted proxies the header is never
    read. A malformed entry falls back to ``REMOTE_ADDR``; ``None`` means no
    usable address at all. Never raises.
    """
    remote = parse_address(str(meta.get("REMOTE_ADDR") or ""))
    if not trusted_proxies:
        return remote
    if isinstance(trusted_proxies, tuple):
        return _behind_networks(meta, remote, trusted_proxies)
    if trusted_proxies < 0:
        return remote
    header = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    entries = [entry for entry in header.split(",") if entry.strip()]
    if not entries:
        return remote
    chosen = entries[-trusted_proxies] if len(entries) >= trusted_proxies else entries[0]
    return parse_address(chosen) or remote


def _behind_networks(
    meta: Mapping[str, Any],
    remote: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
    networks: tuple[_Network, ...],
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if remote is None or not any(remote in network for network in networks):
        return remote  # not sent by a trusted proxy: its header is the client's word
    header = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    chosen = remote
    for entry in reversed([entry for entry in header.split(",") if entry.strip()]):
        address = parse_address(entry)
        if address is None:
            return remote  # a trusted proxy never writes junk: someone else did
        if not any(address in network for network in networks):
            return address
        chosen = address
    return chosen


def address_key(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, ipv6_prefix: int = 64
) -> str:
    """Return the counter identity of an address: IPv4 as is, IPv6 by its /64 network.

    One IPv6 subscriber usually holds a whole /64, so counting single IPv6
    addresses would let a client rotate through 2**64 of them.
    """
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network((address, ipv6_prefix), strict=False)
        return f"ip:{network.network_address.compressed}/{ipv6_prefix}"
    return f"ip:{address.compressed}"


def user_key(user: Any) -> str | None:
    """Return ``user:<pk>`` for an authenticated user, else ``None``."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None
