"""Subcommands of ``prodready`` that live outside the library, found by entry point.

``prodready demo`` and ``prodready loadtest`` serve and measure the demo
project, which ships in prodready's repository (``demo/``, the
``prodready-demo`` workspace member), not in the ``prodready`` wheel. A
distribution adds a subcommand by naming a :class:`Command` in the
``prodready.commands`` entry-point group. When none provides ``demo`` or
``loadtest`` (an installed wheel), the subcommand says in one line that it
needs a checkout, and exits with status 2, before starting anything.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

GROUP = "prodready.commands"
#: The subcommands that prodready's repository provides, and what they do.
CHECKOUT_COMMANDS = {
    "demo": "migrate, seed and serve the demo project (needs a source checkout)",
    "loadtest": "serve the demo and run Locust on loadtests/; --compare writes "
    "docs/performance.md (needs a source checkout)",
}
#: Exit status of a subcommand that cannot run here.
SETUP_ERROR = 2


@dataclass(frozen=True, slots=True)
class Command:
    """A ``prodready`` subcommand provided by another distribution.

    Attributes:
        help: One line for ``prodready --help``.
        add_arguments: Adds the subcommand's options to its parser.
        run: Runs it; returns the exit status.
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


@functools.cache
def installed_commands() -> dict[str, Command]:
    """Return the subcommands that installed distributions provide, by name (loaded once)."""
    found: dict[str, Command] = {}
    for entry in entry_points(group=GROUP):
        try:
            command = entry.load()
        except ImportError:
            continue  # its distribution is installed but its code is not (a stale install)
        if isinstance(command, Command):
            found[entry.name] = command
    return found


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the external subcommands, or stand-ins that say where they are."""
    found = dict(installed_commands())
    for name, about in CHECKOUT_COMMANDS.items():
        command = found.pop(name, None)
        if command is None:
            parser = sub.add_parser(name, help=about, add_help=False)
            parser.add_argument("ignored", nargs=argparse.REMAINDER)
            parser.set_defaults(func=_needs_checkout(name))
            continue
        parser = sub.add_parser(name, help=command.help)
        command.add_arguments(parser)
        parser.set_defaults(func=command.run)
    for name, command in found.items():
        parser = sub.add_parser(name, help=command.help)
        command.add_arguments(parser)
        parser.set_defaults(func=command.run)


def missing_command(argv: Sequence[str]) -> int | None:
    """Say so and return 2 if ``argv`` names a checkout command that is not installed.

    Runs before the arguments are parsed: the command's own options are unknown here.
    """
    name = argv[0] if argv else ""
    if name not in CHECKOUT_COMMANDS or name in installed_commands():
        return None
    return _needs_checkout(name)(argparse.Namespace())


def _needs_checkout(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        print(
            f"prodready {name}: needs a source checkout of prodready: the demo project and "
            "the load-test harness are not part of the prodready package; clone the "
            f"repository, then run 'uv sync' and 'uv run prodready {name}' there.",
            file=sys.stderr,
        )
        return SETUP_ERROR

    return run
