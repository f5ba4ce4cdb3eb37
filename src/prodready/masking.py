"""One function that masks secrets in any text prodready prints, logs or reports.

:func:`mask` is what every output goes through: ``prodready check`` and
``config`` (text and JSON), the ``prodready demo`` banner, log records
(:class:`prodready.logs.RedactingFilter`), error pages and admin e-mails
(:mod:`prodready.reporting`) and the messages of configuration errors. It
masks, wherever they appear:

- the password of any ``scheme://user:password@host`` URL, however it is
  written: a raw ``/``, ``@``, ``:`` or ``#`` in the password does not move
  the mask (the user information runs to the last ``@`` of the URL);
- query arguments and ``key=value`` words that carry secrets (``password``,
  ``sslpassword``, ``sslkey``, ``token``, ``secret``, ``api_key``...);
- every known secret value (the secret key, the health token, the passwords of
  ``DATABASE_URL`` and ``REDIS_URL``), as written, percent-decoded and
  HTML-escaped.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit

MASK = "***"
#: Remembered secrets shorter than this are not searched for in free text: a
#: short password would mask every word that holds its letters.
MIN_KNOWN_SECRET = 6

# scheme:// and the rest of the URL up to a space, a quote or an angle bracket.
_URL = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>[^\s'\"<>`]*)")
# A pattern of names, not a password:
_SECRET_NAME = (
    r"[A-Za-z_]*(?:password|passwd|passphrase|pwd|secret_?key|secret|token|sslkey"  # noqa: S105
    r"|api_?key|access_?key)"
)
# ?sslpassword=... &token=... inside a URL's query
_QUERY_SECRET = re.compile(rf"(?i)(?P<head>[?&;]{_SECRET_NAME}=)[^&;#\s'\"<>]*")
# password=..., 'token': '...', secret:... as libpq, drivers and reprs print them;
# not "HEALTH_TOKEN: is too short" (a name, a colon and a space start a sentence).
_KEYWORD = re.compile(
    rf"(?i)(?P<head>\b{_SECRET_NAME}(?:['\"]?\s*=\s*['\"]?|['\"]\s*:\s*['\"]?|:(?=\S)))"
    r"(?!\*\*\*)[^\s,;&'\"<>)}\]]+"
)

_PLACEHOLDER = "PASSWORD"

_known: set[str] = set()
_known_variants: list[str] = []  # _known as written, decoded and escaped; longest first
_known_lock = threading.Lock()


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every credential masked.

    Args:
        text: Any text: a URL, a log line, an error page.
        secrets: Values to mask wherever they appear, besides those
            :func:`remember` was given.
    """
    text = _URL.sub(_mask_url, text)
    text = _KEYWORD.sub(lambda m: m.group("head") + MASK, text)
    # Values given here are masked at any length; remembered ones (their variants
    # worked out once, in remember()) from MIN_KNOWN_SECRET.
    for secret in [*_variants((s, 1) for s in secrets), *_known_variants]:
        text = text.replace(secret, MASK)
    return text


def mask_url(url: str) -> str:
    """Return ``url`` fit to print: its password and secret query arguments masked.

    A value that is not ``scheme://...`` is shown as ``*** (N characters)``:
    without a scheme nothing tells where a password would start.
    """
    if not _URL.match(url):
        return f"{MASK} ({len(url)} characters)"
    return mask(url, url_passwords(url))


def remember(values: Iterable[str | None]) -> None:
    """Add secret values (and the passwords inside URL values) to those always masked."""
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        if _URL.match(value):  # a URL's secret is its password, not the whole of it
            found.update(url_passwords(value))
        else:
            found.add(value)
    global _known_variants
    with _known_lock:
        _known.update(s for s in found if len(s) >= MIN_KNOWN_SECRET)
        _known_variants = _variants((s, MIN_KNOWN_SECRET) for s in _known)


def forget() -> None:
    """Forget every remembered secret (for tests that load many configurations)."""
    global _known_variants
    with _known_lock:
        _known.clear()
        _known_variants = []


def url_passwords(url: str) -> list[str]:
    """Return the password (and user information) of ``url``, however it is written."""
    match = _URL.match(url)
    if not match:
        return []
    rest = url[match.end("scheme") :]  # the whole value: a raw space does not end it here
    at = rest.rfind("@")
    if at == -1:
        return []
    userinfo = rest[:at]
    # USER:PASSWORD gives its password; a lone value may be a token used as the user.
    found = [userinfo.split(":", 1)[1] if ":" in userinfo else userinfo]
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        found.append(password)
    return [p for p in found if p]


def _mask_url(match: re.Match[str]) -> str:
    scheme, rest = match.group("scheme"), match.group("rest")
    at = rest.rfind("@")
    if at != -1:
        userinfo = rest[:at]
        if ":" in userinfo:
            user, password = userinfo.split(":", 1)
            if password == _PLACEHOLDER:  # an example in a message: USER:PASSWORD@HOST
                shown = userinfo
            else:
                shown = f"{user}:{MASK}" if "/" not in user else MASK
        elif "/" in userinfo or "?" in userinfo or "#" in userinfo:
            shown = MASK  # no colon, but a '/', '?' or '#': not a plain user name
        else:
            shown = userinfo
        rest = f"{shown}@{rest[at + 1 :]}"
    rest = _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, rest)
    return scheme + rest


def _variants(secrets: Iterable[tuple[str, int]]) -> list[str]:
    found: set[str] = set()
    for secret, shortest in secrets:
        if len(secret) >= shortest:
            found.update({secret, unquote(secret), quote(secret, safe=""), html.escape(secret)})
    # Longest first, so a secret that holds another is masked whole.
    return sorted((s for s in found if s), key=len, reverse=True)
