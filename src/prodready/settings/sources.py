"""Where each configuration value comes from, with the precedence declared once.

Precedence, highest first:

1. the process environment (``NAME``, or ``NAME_FILE`` naming a file that holds it);
2. ``.env`` under the base directory (local, uncommitted: it wins over the
   committed profile file, as ``.env.local`` beats ``.env.<mode>`` in
   dotenv-flow, Vite and Rails);
3. ``config_profiles/<profile>.env`` under the base directory;
4. the secrets directory (``PRODREADY_SECRETS_DIR``, default ``/run/secrets``),
   one file per variable, named like the variable;
5. the profile's defaults, then the library's defaults.

An empty value counts as unset, so ``REDIS_URL=`` falls through to the next source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values

from prodready.exceptions import Problem

if TYPE_CHECKING:
    from prodready.settings.profiles import Profile

PROFILE_NAMES = ("dev", "staging", "prod")
DEFAULT_SECRETS_DIR = Path("/run/secrets")

# Profile-specific defaults, as the strings an operator would write. The library
# defaults (the same for every profile) live on the fields of ``Profile``.
PROFILE_DEFAULTS: dict[str, dict[str, str]] = {
    "dev": {
        "DEBUG": "true",
        "SECRET_KEY": "django-insecure-dev-only-never-use-this-key-outside-a-laptop",
        "ALLOWED_HOSTS": "localhost,127.0.0.1,[::1]",
        "SECURE_SSL_REDIRECT": "false",
        "DB_STATEMENT_TIMEOUT": "0",
    },
    "staging": {
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "true",
        "DB_STATEMENT_TIMEOUT": "30000",
    },
    "prod": {
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "true",
        "DB_STATEMENT_TIMEOUT": "30000",
    },
}


@dataclass(frozen=True, slots=True)
class Value:
    """A raw configuration value and the source it was read from."""

    raw: str
    source: str


@dataclass(frozen=True, slots=True)
class Collected:
    """The result of reading every source for one profile."""

    profile: str
    values: dict[str, Value]
    problems: list[Problem]
    # Every variable each source set, by source label: used to spot stray names.
    seen: dict[str, set[str]]
    #: The profile model the values are for (set by the loader; this module
    #: imports neither pydantic nor the model, so the load tests can use it).
    model: type[Profile] = field(default=None)  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class _Layer:
    label: str
    values: Mapping[str, str]
    # Secret files given as NAME_FILE are relative to this directory.
    base: Path


def _dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _secrets_dir_layer(directory: Path, names: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    if not directory.is_dir():
        return found
    for name in names:
        for candidate in (directory / name, directory / name.lower()):
            if candidate.is_file():
                found[f"{name}_FILE"] = str(candidate)
                break
    return found


def _read_secret_file(variable: str, path: Path) -> tuple[str | None, Problem | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else "not UTF-8 text"
        return None, Problem(
            f"{variable}_FILE",
            f"cannot read the secret file '{path}' ({reason}); point {variable}_FILE "
            f"at a readable file or set {variable} instead.",
        )
    # Secret files usually end with a newline that is not part of the secret.
    return text.rstrip("\r\n"), None


def resolve_profile_name(environ: Mapping[str, str], base_dir: Path) -> str:
    """Return ``APP_PROFILE`` from the environment or ``.env``, default ``dev``."""
    name = environ.get("APP_PROFILE") or _dotenv(base_dir / ".env").get("APP_PROFILE") or "dev"
    return name.strip().lower()


def collect(
    environ: Mapping[str, str],
    base_dir: Path,
    names: Iterable[str],
    defaults_for: Callable[[str], Mapping[str, Value]],
) -> Collected:
    """Read every source and pick, for each variable, the value that wins.

    Args:
        environ: The process environment (or a stand-in for tests).
        base_dir: The directory holding ``.env`` and ``config_profiles/``.
        names: The variable names the profile understands.
        defaults_for: Returns the defaults of a profile, by variable.

    Returns:
        The winning raw value and source of each variable that has one, and
        the problems met on the way (an unknown profile, an unreadable file).
    """
    names = list(names)
    problems: list[Problem] = []
    profile = resolve_profile_name(environ, base_dir)
    if profile not in PROFILE_NAMES:
        problems.append(
            Problem(
                "APP_PROFILE",
                f"unknown profile '{profile}'; expected one of {', '.join(PROFILE_NAMES)}.",
            )
        )
        return Collected(profile, {}, problems, {})

    secrets_dir = Path(environ.get("PRODREADY_SECRETS_DIR") or DEFAULT_SECRETS_DIR)
    profile_file = Path("config_profiles") / f"{profile}.env"
    layers = [
        _Layer("environment", environ, Path.cwd()),
        _Layer(".env", _dotenv(base_dir / ".env"), base_dir),
        _Layer(str(profile_file), _dotenv(base_dir / profile_file), base_dir),
        _Layer("secrets directory", _secrets_dir_layer(secrets_dir, names), secrets_dir),
    ]
    values: dict[str, Value] = {}
    defaults = defaults_for(profile)
    for name in names:
        value, problem = _first_value(name, layers)
        if problem is not None:
            problems.append(problem)
        if value is not None:
            values[name] = value
            continue
        if name in defaults:
            values[name] = defaults[name]
    seen = {layer.label: {k for k, v in layer.values.items() if v} for layer in layers[1:3]}
    seen["environment"] = {k for k, v in environ.items() if v}
    return Collected(profile, values, problems, seen)


def _first_value(name: str, layers: list[_Layer]) -> tuple[Value | None, Problem | None]:
    file_name = f"{name}_FILE"
    for layer in layers:
        direct = layer.values.get(name) or None
        via_file = layer.values.get(file_name) or None
        if direct is not None and via_file is not None:
            return None, Problem(
                name,
                f"both {name} and {file_name} are set in {layer.label}; keep only one.",
            )
        if direct is not None:
            return Value(direct, layer.label), None
        if via_file is not None:
            path = Path(via_file)
            if not path.is_absolute():
                path = layer.base / path
            text, problem = _read_secret_file(name, path)
            if problem is not None:
                return None, problem
            label = (
                "secret file"
                if layer.label == "secrets directory"
                else f"secret file ({file_name}, {layer.label})"
            )
            if text:
                return Value(text, label), None
    return None, None
