"""Which requests a limit applies to: ``RATELIMIT_RULES`` parsed into ``Rule`` objects."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

from prodready.ratelimit.keys import KEY_KINDS, FunctionKey, Key, KeyKind, parse_key
from prodready.ratelimit.rate import Rate, parse_rate

__all__ = ["HTTP_METHODS", "KEY_KINDS", "KeyKind", "Rule", "RuleError", "parse_rule", "parse_rules"]
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
        key: What is counted, as written: the client ``ip``, the ``user``,
            ``user_or_ip``, ``header:<name>`` or a dotted path to a function
            (:mod:`prodready.ratelimit.keys`).
        methods: Upper-case methods covered; empty means every method. A rule
            for ``GET`` covers ``HEAD`` too, as Django serves HEAD with the GET view.
        name: A short stable name, used in counter keys and ``RateLimit`` headers.
        keyer: How ``key`` is worked out; built from ``key`` unless given
            (the decorator gives one for a callable).
    """

    prefix: str
    rate: Rate
    key: str = "user_or_ip"
    methods: frozenset[str] = frozenset()
    name: str = field(default="")
    keyer: Key = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
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
        keyer = self.keyer if self.keyer is not None else parse_key(self.key)
        object.__setattr__(self, "keyer", keyer)
        object.__setattr__(self, "key", keyer.spec)
        if not self.name:
            spec = f"{','.join(sorted(self.methods))} {self.prefix} {self.rate} {self.key}"
            digest = hashlib.blake2s(spec.encode(), digest_size=4).hexdigest()
            kind = self.key if self.key in KEY_KINDS else self.key.partition(":")[0]
            kind = kind if kind in (*KEY_KINDS, "header") else "key"
            object.__setattr__(self, "name", f"{kind}-{digest}")
        if isinstance(keyer, FunctionKey) and not keyer.group:
            keyer.group = self.name  # django-ratelimit's key(group, request)
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
    try:
        keyer = parse_key(parts[2] if len(parts) == 3 else "user_or_ip")
    except ValueError as err:
        raise RuleError(f"{where}: {err}") from err
    return Rule(prefix=prefix, rate=rate, key=keyer.spec, methods=methods, keyer=keyer)


@functools.lru_cache(maxsize=32)
def parse_rules(text: str) -> tuple[Rule, ...]:
    """Parse ``RATELIMIT_RULES``: rules separated by ``;``; blank rules are skipped.

    Parsed once per process: the profile's validation and the middleware's
    rules are the same objects (the result is remembered by its text).

    Raises:
        RuleError: for the first malformed rule.
    """
    pieces = [piece for piece in text.split(";") if piece.strip()]
    return tuple(parse_rule(piece, i) for i, piece in enumerate(pieces, start=1))
