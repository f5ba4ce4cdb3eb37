"""What the profile generated, as hashes: to tell later whether Django's settings still hold it.

``profile.django_settings()`` adds ``PRODREADY_GENERATED``: for each setting
it generated (``DEBUG``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASES``,
``CACHES`` and the security settings) a short hash of its value, never the
value. The system check ``prodready.E006`` compares them with the settings
Django ended up with: a line below the snippet in ``settings.py`` (such as the
``DEBUG = True`` and the ``django-insecure-`` key that ``startproject``
writes) replaces a generated value, and the check names it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

SETTING = "PRODREADY_GENERATED"
#: Settings holding one dict per alias, which Django completes in place with
#: its defaults: only the keys the profile set are compared.
PER_ALIAS = frozenset({"DATABASES", "CACHES", "MAILERS"})
#: Keys that test runners rewrite (the test database's name): never compared.
_REWRITTEN = frozenset({"NAME", "TEST"})


def _hash(value: Any) -> str:
    return hashlib.sha256(repr(value).encode("utf-8", "replace")).hexdigest()[:16]


def _per_alias(value: Any, keys: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {"": _hash(value)}
    found: dict[str, Any] = {}
    for alias, config in value.items():
        if not isinstance(config, Mapping):
            found[alias] = {"keys": [], "hash": _hash(config)}
            continue
        wanted = sorted(set(config) - _REWRITTEN) if keys is None else sorted(keys.get(alias, ()))
        found[alias] = {"keys": wanted, "hash": _hash([(k, config.get(k)) for k in wanted])}
    return found


def fingerprint(generated: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Return the hashes of ``generated[name]`` for each of ``names``."""
    return {
        name: _per_alias(generated[name]) if name in PER_ALIAS else _hash(generated[name])
        for name in names
        if name in generated
    }


def differing(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Return the names whose value in ``current`` is not the one ``recorded`` was taken of."""
    changed = []
    for name, taken in recorded.items():
        if name not in current:
            changed.append(name)
        elif name in PER_ALIAS and isinstance(taken, Mapping):
            keys = {alias: entry.get("keys", []) for alias, entry in taken.items()}
            now = _per_alias(current[name], keys)
            if set(now) != set(taken) or any(
                now[alias]["hash"] != taken[alias].get("hash") for alias in taken
            ):
                changed.append(name)
        elif _hash(current[name]) != taken and not _test_runner_change(name, current[name], taken):
            changed.append(name)
    return changed


def _test_runner_change(name: str, value: Any, taken: str) -> bool:
    """Tell whether ``value`` differs only as Django's test runner makes it differ.

    The runner sets ``DEBUG = False`` and appends ``testserver`` to
    ``ALLOWED_HOSTS`` before it runs the system checks, and names the test
    databases (``NAME`` is never compared): none of it is a misplaced snippet.
    ``DEBUG`` on where the profile had it off always counts.
    """
    if name == "DEBUG":
        return value is False
    if name == "ALLOWED_HOSTS" and isinstance(value, list | tuple):
        return _hash([h for h in value if h != "testserver"]) == taken
    return False
