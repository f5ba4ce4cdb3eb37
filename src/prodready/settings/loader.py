"""load_profile(): sources -> validation -> cross-field checks -> Profile."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any, overload

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from prodready.exceptions import ConfigurationError, Problem
from prodready.masking import remember
from prodready.settings.cache import cache_problems
from prodready.settings.database import SQLALCHEMY_VARIABLES, database_notes, database_problems
from prodready.settings.profiles import Profile, field_meta, secret_fields, variable_names
from prodready.settings.security import security_notes, security_problems
from prodready.settings.sources import PROFILE_DEFAULTS, Collected, Value, collect


def base_dir_from(environ: Mapping[str, str]) -> Path:
    """Return the directory holding ``.env`` and ``config_profiles/``.

    ``PRODREADY_BASE_DIR`` when set, else the current directory.
    """
    return Path(environ.get("PRODREADY_BASE_DIR") or Path.cwd())


def defaults_for(profile: str, base_dir: Path, model: type[Profile] = Profile) -> dict[str, Value]:
    """Return the defaults of ``profile``: its own first, then the model's."""
    defaults: dict[str, Value] = {}
    for name, field in model.model_fields.items():
        default = field.default
        if default is None or default == ():
            continue
        raw = str(default).lower() if isinstance(default, bool) else str(default)
        defaults[name.upper()] = Value(raw, "default")
    own = dict(PROFILE_DEFAULTS[profile])
    if profile == "dev":
        # The embedded default: a SQLite file beside the project. staging and
        # prod require DATABASE_URL (see database_problems()).
        own["DATABASE_URL"] = f"sqlite:///{base_dir / 'db.sqlite3'}"
    defaults.update({name: Value(raw, f"default ({profile})") for name, raw in own.items()})
    return defaults


def collect_sources(
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    model: type[Profile] = Profile,
) -> Collected:
    """Read every source for ``model``'s variables, without validating (``prodready config``)."""
    environ = dict(os.environ) if environ is None else environ
    base = base_dir_from(environ) if base_dir is None else base_dir
    collected = collect(
        environ, base, variable_names(model), lambda p: defaults_for(p, base, model)
    )
    return dataclasses.replace(collected, model=model)


def _model_of(collected: Collected) -> type[Profile]:
    return collected.model or Profile


def _describe(error: ErrorDetails, collected: Collected) -> Problem:
    field = str(error["loc"][0]) if error["loc"] else "app_profile"
    variable = field.upper()
    meta = field_meta(variable, _model_of(collected))
    value = collected.values.get(variable)
    source = f" (from {value.source})" if value else ""
    if field in secret_fields(_model_of(collected)):
        shown = "the value"
    else:
        raw = value.raw if value else str(error.get("input"))
        shown = f"'{raw[:60]}'" + ("..." if len(raw) > 60 else "")
        reason = error.get("ctx", {}).get("error")
        if error["type"] == "value_error" and isinstance(reason, ValueError):
            # A validator of ours refused it, with a sentence saying why.
            return Problem(variable, f"{shown}{source} is not valid: {reason}.")
    return Problem(
        variable,
        f"{shown}{source} is not valid; expected {meta['form']}, "
        f"e.g. {variable}={meta['example']}.",
    )


def _stray_variables(collected: Collected) -> list[Problem]:
    problems = []
    for label, names in collected.seen.items():
        for name in sorted(names & SQLALCHEMY_VARIABLES.keys()):
            problems.append(
                Problem(
                    name,
                    f"is a SQLAlchemy-style setting (set in {label}) that prodready does "
                    f"not read; use {SQLALCHEMY_VARIABLES[name]} instead.",
                )
            )
    return problems


def validate(collected: Collected) -> tuple[Profile | None, list[Problem]]:
    """Validate collected values with their model; return the profile (if valid) and problems."""
    model = _model_of(collected)
    secrets = secret_fields(model)
    # Whatever else fails, these are masked in every message and log from now on.
    remember(found.raw for name, found in collected.values.items() if name.lower() in secrets)
    problems = list(collected.problems)
    if any(p.variable == "APP_PROFILE" for p in problems):
        return None, problems
    problems += _stray_variables(collected)
    data: dict[str, Any] = {name.lower(): v.raw for name, v in collected.values.items()}
    data["app_profile"] = collected.profile
    try:
        profile = model(**data)
    except ValidationError as err:
        # Build messages ourselves: pydantic's own include the raw input, which
        # may be a secret.
        errors = err.errors(include_input=False)
        problems += [_describe(e, collected) for e in errors]
        # Run the cross-field checks on what is valid, so that one pass lists
        # every problem; drop those about, or quoting the value of, an invalid
        # variable (it was replaced by its default for this pass).
        bad = {str(e["loc"][0]).upper() for e in errors if e["loc"]}
        try:
            partial = model(**{k: v for k, v in data.items() if k.upper() not in bad})
        except ValidationError:
            return None, problems
        quoting = re.compile(rf"\b({'|'.join(sorted(bad))})( =|=|:)")
        problems += [p for p in _cross_checks(partial) if not quoting.search(str(p))]
        return None, problems
    problems += _cross_checks(profile)
    return (None if problems else profile), problems


def _ratelimit_problems(profile: Profile) -> list[Problem]:
    from prodready.ratelimit.rules import RuleError, parse_rules

    try:
        parse_rules(profile.ratelimit_rules)
    except RuleError as err:
        return [Problem("RATELIMIT_RULES", f"{err}.")]
    return []


def _email_problems(profile: Profile) -> list[Problem]:
    from prodready.settings.email import email_url_problems

    url = profile.email_url.get_secret_value() if profile.email_url else ""
    return [Problem("EMAIL_URL", f"{p}.") for p in email_url_problems(url)] if url else []


def _cross_checks(profile: Profile) -> list[Problem]:
    return (
        security_problems(profile)
        + _email_problems(profile)
        + database_problems(profile)
        + cache_problems(profile)
        + _ratelimit_problems(profile)
    )


def setting_notes(profile: Profile) -> dict[str, str]:
    """Return, per variable, what its valid value does not do in this profile."""
    return {**database_notes(profile), **security_notes(profile)}


def warnings_of(collected: Collected) -> list[Problem]:
    """Return the warnings of a configuration: variables that look like prodready's but are not."""
    from prodready.settings.typos import unknown_variables

    return unknown_variables(collected, variable_names(_model_of(collected)), SQLALCHEMY_VARIABLES)


@overload
def load_profile(
    environ: Mapping[str, str] | None = None, base_dir: Path | None = None
) -> Profile: ...


@overload
def load_profile[P: Profile](
    environ: Mapping[str, str] | None = None, base_dir: Path | None = None, *, model: type[P]
) -> P: ...


def load_profile(
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
    *,
    model: type[Profile] = Profile,
) -> Profile:
    """Load and validate the profile named by ``APP_PROFILE``.

    Args:
        environ: The environment to read; ``os.environ`` when omitted.
        base_dir: Where ``.env`` and ``config_profiles/`` live. When omitted:
            ``PRODREADY_BASE_DIR``, else the calling settings module's
            ``BASE_DIR``, else the directory of ``manage.py`` beside it, else
            the current directory.
        model: A :class:`Profile` subclass that adds the project's own
            variables; they get the same sources, validation, masking and
            ``prodready config`` provenance as prodready's.

    Returns:
        The validated profile, an instance of ``model``.

    Raises:
        ConfigurationError: listing every problem, one line each, with no secret.
            It is a ``SystemExit``: uncaught, it stops the process with status 1.
    """
    environ = dict(os.environ) if environ is None else environ
    if base_dir is None and not environ.get("PRODREADY_BASE_DIR"):
        base_dir = _project_dir(sys._getframe(1))
    collected = collect_sources(environ, base_dir, model)
    profile, problems = validate(collected)
    if profile is None:
        raise ConfigurationError(problems, collected.profile)
    profile._warnings = tuple(str(w) for w in warnings_of(collected))
    return profile


def _project_dir(caller: FrameType) -> Path | None:
    """Return the project directory of the settings module calling ``load_profile()``.

    Its ``BASE_DIR`` when it has set one, else the directory holding
    ``manage.py`` beside its package (``startproject``'s layout), else None
    (the current directory): ``.env`` and ``config_profiles/`` are then found
    however the process was started (cron, a Job with another working directory).
    """
    base = caller.f_globals.get("BASE_DIR")
    if isinstance(base, str | Path) and Path(base).is_dir():
        return Path(base)
    module_file = caller.f_globals.get("__file__")
    if not isinstance(module_file, str):
        return None
    for directory in Path(module_file).resolve().parents[:2]:
        if (directory / "manage.py").is_file():
            return directory
    return None
