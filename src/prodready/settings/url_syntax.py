"""Whether a URL can be cut into its parts one way only, told without quoting it.

Used for ``DATABASE_URL`` and ``REDIS_URL``: a password holding a raw ``/``,
``@``, ``#`` or space is read differently by urllib, django-environ, redis-py
and libpq, and the parser's own error would quote a piece of it ("Port could
not be cast to integer value as '<part of the password>'").
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ENCODE = (
    "percent-encode reserved characters in the user name and password "
    "(%2F for /, %40 for @, %23 for #, %3F for ?, %3A for :, %25 for %, %20 for a space)"
)
# urllib drops tabs and newlines from a URL without a word, and strips leading
# spaces, so a password holding one would silently change.
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def scheme_of(url: str) -> str:
    """Return the scheme before ``://`` as written, or '' (never anything else of ``url``)."""
    match = _SCHEME.match(url)
    return match[1] if match else ""


def syntax_problem(url: str, *, lists: bool = False, libpq: bool = False) -> str:
    """Say why ``url`` cannot be cut into its parts unambiguously, or return ''.

    The sentence quotes nothing of the URL.

    Args:
        url: The URL.
        lists: Whether a ',' or ';' would be read as a list separator (Django's
            RedisCache reads ``LOCATION`` that way).
        libpq: Whether libpq's tools will read it too (``psql "$DATABASE_URL"``):
            they end the user information at the first '@', urllib at the last.
    """
    if _UNSAFE.search(url):
        return "it holds a space or a control character"
    if "#" in url:
        return "it holds a raw '#', which ends a URL"
    if lists and ("," in url or ";" in url):
        return "it holds a raw ',' or ';', which Django's RedisCache reads as a list of servers"
    if _STRAY_PERCENT.search(url):
        return "it holds a '%' that does not start a %XX escape"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "urllib cannot split it into its parts"
    if "@" in parts.path or "@" in parts.query:
        return "it holds an '@' after the host, so a raw '/' or '?' in the password cut it short"
    if libpq and parts.netloc.count("@") > 1:
        return (
            "it holds more than one '@' before the host (a raw '@' in the user or password), "
            "which libpq's tools such as psql read differently from Django"
        )
    return ""
