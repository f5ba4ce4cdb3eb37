"""Which requests a limit applies to: ``RATELIMIT_RULES`` parsed into ``Rule`` objects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from prodready.ratelimit.rate import Rate, parse_rate

KeyKind = Literal["ip", "user", "user_or_ip"]
KEY_KINDS: tuple[KeyKind, ...] = ("ip", "user", "user_or_ip")
HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


class RuleError(ValueError):
    """A rate-limit rule is malformed; the message names the rule and the bad piece."""


@dataclass(frozen=True, slots=True)
class Rule:
    """Apply ``rate`` per ``key`` to requests with one of ``methods`` under ``prefix``.

    Attributes:
        prefix: Path prefix the rule covers, e.g. ``/api/``.
        rate: The limit.
        key: What is counted: the client ``ip``, the ``user``, or ``user_or_ip``.
        methods: Upper-case methods covered; empty means every method. A rule
            for ``GET`` covers ``HEAD`` too, as Django serves HEAD with the GET view.
        name: A short stable name, used in counter keys and ``RateLimit`` headers.
    """

    prefix: str
    rate: Rate
    key: KeyKind = "user_or_ip"
    methods: frozenset[str] = frozenset()
    name: str = field(default="")
    #: This rule's member of the ``RateLimit-Policy`` header, built once.
    policy: str = field(default="", init=False, compare=False)
    #: The methods the rule counts: ``methods``, with ``HEAD`` when it names ``GET``.
    served: frozenset[str] = field(default=frozenset(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        served = self.methods
        if "GET" in served:
            # Django answers HEAD with the GET view (same queries, body dropped):
            # a rule for GET that let HEAD through would limit nothing.
            served = served | {"HEAD"}
        object.__setattr__(self, "served", served)
        if not self.name:
            spec = f"{','.join(sorted(self.methods))} {self.prefix} {self.rate} {self.key}"
            digest = hashlib.blake2s(spec.encode(), digest_size=4).hexdigest()
            object.__setattr__(self, "name", f"{self.key}-{digest}")
        policy = f'"{self.name}";q={self.rate.limit};w={self.rate.period}'
        object.__setattr__(self, "policy", policy)

    def matches(self, method: str, path: str) -> bool:
        """Tell whether the rule covers a request."""
        return path.startswith(self.prefix) and (not self.served or method in self.served)


def parse_rule(text: str, position: int = 1) -> Rule:
    """Parse one rule ``[METHODS] PATH_PREFIX RATE [KEY]``.

    Raises:
        RuleError: naming the rule and the piece that failed.
    """
    parts = text.split()
    where = f"rule {position} '{text.strip()}'"
    if not parts:
        raise RuleError(f"{where} is empty")
    methods: frozenset[str] = frozenset()
    if not parts[0].startswith("/"):
        methods = frozenset(m.strip().upper() for m in parts[0].split(",") if m.strip())
        unknown = sorted(methods - HTTP_METHODS)
        if unknown or not methods:
            raise RuleError(
                f"{where}: '{parts[0]}' is not a comma-separated list of HTTP methods "
                "(GET, POST, ...) nor a path starting with '/'"
            )
        parts = parts[1:]
    if len(parts) not in (2, 3):
        raise RuleError(f"{where} should read '[METHODS] PATH_PREFIX RATE [KEY]'")
    prefix, rate_text = parts[0], parts[1]
    if not prefix.startswith("/"):
        raise RuleError(f"{where}: the path prefix '{prefix}' must start with '/'")
    try:
        rate = parse_rate(rate_text)
    except ValueError as err:
        raise RuleError(f"{where}: {err}") from err
    key = parts[2].lower() if len(parts) == 3 else "user_or_ip"
    if key not in KEY_KINDS:
        raise RuleError(f"{where}: the key '{parts[2]}' is not one of ip, user, user_or_ip")
    return Rule(prefix=prefix, rate=rate, key=key, methods=methods)


def parse_rules(text: str) -> tuple[Rule, ...]:
    """Parse ``RATELIMIT_RULES``: rules separated by ``;``; blank rules are skipped.

    Raises:
        RuleError: for the first malformed rule.
    """
    pieces = [piece for piece in text.split(";") if piece.strip()]
    return tuple(parse_rule(piece, i) for i, piece in enumerate(pieces, start=1))
