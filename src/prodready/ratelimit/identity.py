"""Who a request comes from: the client address behind N trusted proxies, or the user."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

# Longer values are junk or an attack; parsing them is wasted work.
_MAX_ADDRESS_LENGTH = 64


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
    meta: Mapping[str, Any], trusted_proxies: int
) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the client's address, trusting ``trusted_proxies`` hops of X-Forwarded-For.

    Each trusted proxy appends the address it received the request from, so the
    client is the entry ``trusted_proxies`` places from the right. Entries
    further left were written by the client and are ignored. With no trusted
    proxies the header is never read. A malformed entry falls back to
    ``REMOTE_ADDR``; ``None`` means no usable address at all.
    """
    remote = parse_address(str(meta.get("REMOTE_ADDR") or ""))
    if trusted_proxies <= 0:
        return remote
    header = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    entries = [entry for entry in header.split(",") if entry.strip()]
    if not entries:
        return remote
    chosen = entries[-trusted_proxies] if len(entries) >= trusted_proxies else entries[0]
    return parse_address(chosen) or remote


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
