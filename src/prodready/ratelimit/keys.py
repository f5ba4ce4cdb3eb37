"""What a rule counts: every key kind, in this one module.

A key turns a request into the identity its counter is kept under:

- ``ip``: the client address (behind trusted proxies; IPv6 by its /64);
- ``user``: the authenticated user; the rule does not apply to anonymous requests;
- ``user_or_ip``: the user when authenticated, else the address;
- ``header:<name>``: the value of a request header (an API key, a tenant),
  else the address when the request has none;
- a callable or a dotted path to one: ``key(request)`` or, as django-ratelimit
  calls it, ``key(group, request)``; it returns the identity as text, or
  ``None`` (or ``""``) for a request the rule does not apply to. A key that
  raises is logged and the request is counted by its address.

Values that come from the request are kept in the store as a digest, never as
sent: an API key in a header is a secret.

To add a kind, add a :class:`Key` subclass here and a branch in :func:`parse_key`.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, Literal

from prodready.logs import RepeatsFilter

# A key that fails on every request would log on every request: the first
# failure, then one a minute with a count (RepeatsFilter).
logger = logging.getLogger("prodready.ratelimit.keys")
logger.addFilter(RepeatsFilter())

#: The built-in kinds that need nothing but the address and the user.
KeyKind = Literal["ip", "user", "user_or_ip"]
KEY_KINDS: tuple[KeyKind, ...] = ("ip", "user", "user_or_ip")
#: How to write a key, for error messages.
KEY_FORMS = "ip, user, user_or_ip, header:<name>, or a dotted path to a function"

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
#: Identity passed to ``address``: the limiter works out the address identity.
Address = Callable[[], str | None]


def digest(text: str) -> str:
    """Return a short, stable digest of a value taken from a request."""
    return hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class Key:
    """What a rule counts; subclasses say how.

    Attributes:
        spec: The key as written (``ip``, ``header:X-Api-Key``, a dotted path).
        uses_user: Whether the identity reads ``request.user``.
        per_request: Whether the identity depends on more than the client
            address and the user. The limiter remembers the counters of a
            (client address, user) pair; it works them out afresh for every
            request of a rule whose key is ``per_request``.
    """

    spec: str = ""
    uses_user: bool = False
    per_request: bool = False

    def identity(self, request: Any, user: str | None, address: Address) -> str | None:
        """Return what to count ``request`` under.

        Args:
            request: The request (only read when :attr:`per_request`).
            user: ``user:<pk>`` for an authenticated user, else ``None``
                (only given when :attr:`uses_user`).
            address: Works out the address identity; ``None`` when the
                request has no usable address.

        Returns:
            The identity; ``""`` when the rule does not apply to the request;
            ``None`` when it needs an address the request lacks.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec}>"


class IpKey(Key):
    """Count the client address."""

    spec = "ip"

    def identity(self, request: Any, user: str | None, address: Address) -> str | None:
        return address()


class UserKey(Key):
    """Count the authenticated user; anonymous requests are not counted."""

    spec = "user"
    uses_user = True

    def identity(self, request: Any, user: str | None, address: Address) -> str | None:
        return user or ""


class UserOrIpKey(Key):
    """Count the user when authenticated, else the address."""

    spec = "user_or_ip"
    uses_user = True

    def identity(self, request: Any, user: str | None, address: Address) -> str | None:
        return user or address()


class HeaderKey(Key):
    """Count a request header's value; a request without it counts by its address."""

    per_request = True

    def __init__(self, name: str) -> None:
        self.spec = f"header:{name}"
        self.name = name
        self.meta_name = "HTTP_" + name.upper().replace("-", "_")

    def identity(self, request: Any, user: str | None, address: Address) -> str | None:
        value = request.META.get(self.meta_name)
        if not value:
            return address()  # otherwise, leaving the header out would skip the limit
        return f"header:{digest(self.name.lower() + ':' + str(value))}"


class FunctionKey(Key):
    """Count what a function of the request returns.

    Args:
        function: ``function(request)`` or ``function(group, request)``; a
            dotted path to one is imported on first use.
        group: The rule's name, passed as django-ratelimit passes its group.
    """

    per_request = True

    def __init__(self, function: Callable[..., Any] | str, group: str = "") -> None:
        if isinstance(function, str):
            self.spec = function
            self._function: Callable[..., Any] | None = None
        else:
            self.spec = f"{function.__module__}.{function.__qualname__}"
            self._function = function
        self.group = group
        self._with_group: bool | None = None
        self._lock = threading.Lock()

    def function(self) -> tuple[Callable[..., Any], bool]:
        """Return the function (imported on first use) and whether it takes the group.

        Raises:
            ImportError: when a dotted path does not lead to a callable.
        """
        if self._with_group is None:
            with self._lock:
                if self._function is None:
                    self._function = import_callable(self.spec, "the rate-limit key")
                self._with_group = _takes_group(self._function)
        assert self._function is not None
        return self._function, bool(self._with_group)

    def identity(self, request: Any, user: str | None, address: Address) -> str | None:
        function, with_group = self.function()
        try:
            value = function(self.group, request) if with_group else function(request)
        except Exception:
            # A bug in the project's key must not turn requests into 500s, nor
            # switch the limit off: the request is counted by its address.
            logger.exception("rate-limit key %s failed; counting the request by address", self.spec)
            return address()
        if value is None or value == "":
            return ""
        return f"key:{digest(str(value))}"


def import_callable(path: str, what: str) -> Callable[..., Any]:
    """Import the callable at dotted ``path``; ``what`` names it in the error.

    Raises:
        ImportError: with a sentence, when the path leads nowhere or not to a callable.
    """
    from django.utils.module_loading import import_string

    try:
        found = import_string(path)
    except ImportError as err:
        raise ImportError(f"{what} '{path}' could not be imported: {err}") from None
    if not callable(found):
        raise ImportError(f"{what} '{path}' is not callable")
    return found  # type: ignore[no-any-return]


def _takes_group(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) >= 2


_BUILT_IN: dict[str, Key] = {"ip": IpKey(), "user": UserKey(), "user_or_ip": UserOrIpKey()}


def parse_key(key: str | Callable[..., Any] | Key, group: str = "") -> Key:
    """Return the :class:`Key` for ``key`` as a rule or the decorator writes it.

    Args:
        key: ``ip``, ``user``, ``user_or_ip``, ``header:<name>``, a dotted
            path to a function, a callable, or a :class:`Key`.
        group: The rule's name, passed to ``key(group, request)`` functions.

    Raises:
        ValueError: with a sentence, when ``key`` is none of these. A dotted
            path is imported on first use; the system check ``prodready.E007``
            imports it at start-up.
    """
    if isinstance(key, Key):
        return key
    if callable(key):
        return FunctionKey(key, group)
    if not isinstance(key, str):
        raise ValueError(f"the key {key!r} is not one of {KEY_FORMS}")
    text = key.strip()
    built_in = _BUILT_IN.get(text.lower())
    if built_in is not None:
        return built_in
    kind, colon, name = text.partition(":")
    if colon and kind.lower() == "header":
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                f"the key '{text[:80]}' names no header: write header:<name>, "
                "e.g. header:X-Api-Key (letters, digits and '-')"
            )
        return HeaderKey(name)
    if _DOTTED.fullmatch(text):
        return FunctionKey(text, group)
    raise ValueError(f"the key '{text[:80]}' is not one of {KEY_FORMS}")
