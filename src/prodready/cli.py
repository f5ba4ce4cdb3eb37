"""The ``prodready`` command: config, check, serve, probe, demo, reference and loadtest."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence

from prodready.commands import add_commands, missing_command
from prodready.exceptions import ConfigurationError, Problem
from prodready.masking import MASK, mask_url
from prodready.masking import mask as mask_secrets
from prodready.settings.loader import collect_sources, setting_notes, validate, warnings_of
from prodready.settings.profiles import SECRET_FIELDS, Profile, secret_fields, variable_names
from prodready.settings.reference import reference_markdown

#: The environment variable naming a project's Profile subclass (``--profile-model``).
MODEL_VARIABLE = "PRODREADY_PROFILE_MODEL"


class SetupError(Exception):
    """The command cannot start (exit status 2); the message is one line."""


def mask(variable: str, raw: str, secrets: frozenset[str] = SECRET_FIELDS) -> str:
    """Return ``raw`` fit to print: secrets hidden, passwords inside URLs masked."""
    if variable.lower() not in secrets:
        return raw
    if variable.lower().endswith("_url"):
        return mask_url(raw)
    return f"{MASK} ({len(raw)} characters)"


def print_problems(problems: Sequence[Problem], profile: str) -> None:
    """Print ``problems`` as a configuration error, one line each, on stderr."""
    print(ConfigurationError(list(problems), profile).render(), file=sys.stderr)


def profile_model(path: str | None) -> type[Profile]:
    """Import the :class:`Profile` subclass at ``path`` (``module.Class``); ``Profile`` if none.

    Raises:
        SetupError: when the path does not import or names no Profile subclass.
    """
    if not path:
        return Profile
    module_name, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), name) if module_name else None
    except Exception as err:  # the project's own module: any error is its own
        raise SetupError(
            mask_secrets(f"the profile model '{path}' could not be imported: {err!r}")
        ) from None
    if not (isinstance(found, type) and issubclass(found, Profile)):
        raise SetupError(f"'{path}' is not a subclass of prodready.Profile")
    return found


def _model(args: argparse.Namespace) -> type[Profile]:
    return profile_model(args.profile_model or os.environ.get(MODEL_VARIABLE))


def cmd_config(args: argparse.Namespace) -> int:
    """Print every variable's resolved value and source; exit 1 if invalid."""
    model = _model(args)
    collected = collect_sources(model=model)
    profile, problems = validate(collected)
    secrets = secret_fields(model)
    rows = [
        (name, mask(name, found.raw, secrets), found.source)
        for name in variable_names(model)
        if name != "APP_PROFILE" and (found := collected.values.get(name)) is not None
    ]
    unset = [name for name in variable_names(model) if name not in collected.values]
    notes = setting_notes(profile) if profile is not None else {}
    if args.json:
        print(
            json.dumps(
                {
                    "profile": collected.profile,
                    "values": {n: {"value": v, "source": s} for n, v, s in rows},
                    "unset": [n for n in unset if n != "APP_PROFILE"],
                    "notes": notes,
                    "problems": [str(p) for p in problems],
                },
                indent=2,
            )
        )
        return 1 if problems else 0
    print(f"profile: {collected.profile}")
    width = max(len(n) for n, _, _ in rows) if rows else 0
    value_width = min(max((len(v) for _, v, _ in rows), default=0), 60)
    for name, shown, source in rows:
        print(f"  {name:<{width}}  {shown:<{value_width}}  [{source}]")
        if name in notes:
            print(f"  {'':<{width}}  note: {notes[name]}")
    for name in unset:
        if name != "APP_PROFILE":
            print(f"  {name:<{width}}  {'(unset)':<{value_width}}  [-]")
    if profile is not None:
        print(f"pool mode in force: {profile.resolved_pool_mode}")
    if problems:
        print_problems(problems, collected.profile)
        return 1
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the profile, then run Django's system checks if a project is named."""
    collected = collect_sources(model=_model(args))
    profile, problems = validate(collected)
    if profile is None:
        print_problems(problems, collected.profile)
        return 1
    print(f"prodready: the {profile.app_profile} configuration is valid.")
    for warning in warnings_of(collected):
        print(f"prodready: warning: {warning}")
    for name, note in setting_notes(profile).items():
        print(f"prodready: note: {name}: {note}")
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        print("prodready: DJANGO_SETTINGS_MODULE is unset; skipped Django's system checks.")
        return 0
    import django
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    django.setup()
    deploy = args.deploy or profile.app_profile == "prod"
    try:
        call_command("check", deploy=deploy, fail_level="WARNING" if deploy else "ERROR")
    except SystemCheckError as err:
        print(str(err), file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Check the application in this process, then exec uvicorn on it."""
    from prodready.serve import serve

    options = list(args.uvicorn_options)
    if options[:1] == ["--"]:
        options = options[1:]
    return serve(args.app, options)


def cmd_probe(args: argparse.Namespace) -> int:
    """Answer a probe as its endpoint would: exit 0 on 200, else 1 (an exec probe)."""
    from prodready.health.command import probe

    return probe(args.kind)


def cmd_reference(args: argparse.Namespace) -> int:
    """Print the configuration reference as a Markdown table."""
    print(reference_markdown(_model(args)), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``prodready`` command."""
    parser = argparse.ArgumentParser(
        prog="prodready",
        description="Production-ready Django from twelve-factor configuration.",
    )
    parser.add_argument("--version", action="version", version=f"prodready {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--profile-model",
        metavar="MODULE.CLASS",
        help=f"the project's Profile subclass, e.g. mysite.profile.SiteProfile "
        f"(default: ${MODEL_VARIABLE}, else prodready.Profile)",
    )
    config = sub.add_parser(
        "config", parents=[model], help="show each setting, its value and where it came from"
    )
    config.add_argument("--json", action="store_true", help="print JSON instead of a table")
    config.set_defaults(func=cmd_config)
    check = sub.add_parser(
        "check", parents=[model], help="validate the configuration; exit 1 listing problems"
    )
    check.add_argument("--deploy", action="store_true", help="also run Django's deployment checks")
    check.set_defaults(func=cmd_check)
    serve = sub.add_parser(
        "serve",
        help="check APP (configuration, system checks), exit 1 on a problem, else run uvicorn",
        description="Import APP and run prodready's system checks in this process; on a "
        "problem print it and exit 1 (2 if APP cannot be imported) before any worker starts. "
        "Otherwise become 'python -m uvicorn APP UVICORN_OPTIONS' (adding --no-proxy-headers "
        "and --no-server-header unless an option chooses).",
    )
    serve.add_argument(
        "app", metavar="APP", help="the ASGI application, e.g. mysite.asgi:application"
    )
    serve.add_argument(
        "uvicorn_options",
        nargs=argparse.REMAINDER,
        metavar="UVICORN_OPTIONS",
        help="passed to uvicorn, e.g. --host 0.0.0.0 --workers 4 --lifespan on",
    )
    serve.set_defaults(func=cmd_serve)
    probe = sub.add_parser(
        "probe",
        help="answer health, readiness or liveness as the endpoint would; exit 0 on 200, else 1",
    )
    probe.add_argument("kind", choices=("health", "readiness", "liveness"))
    probe.set_defaults(func=cmd_probe)
    reference = sub.add_parser(
        "reference", parents=[model], help="print the configuration reference (Markdown)"
    )
    reference.set_defaults(func=cmd_reference)
    add_commands(sub)  # demo, loadtest: from the repository's demo package
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("prodready")
    except PackageNotFoundError:  # run from a source tree that is not installed
        from prodready import __version__

        return __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``prodready`` command; return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # As manage.py has it: the project in the current directory is importable
    # (DJANGO_SETTINGS_MODULE=mysite.settings prodready check).
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        status = _main(argv)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader went away (prodready config | head): no traceback, and no
        # second error when Python flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str]) -> int:
    missing = missing_command(argv)
    if missing is not None:
        return missing
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except ConfigurationError as err:
        print(err.render(), file=sys.stderr)
        return 1
    except SetupError as err:
        print(f"prodready {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
