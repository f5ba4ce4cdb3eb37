"""Prepare the demo's database for a load test: migrate, add items, issue API tokens.

Run as ``python -m prodready_loadtest.prepare --items N --tokens K`` in the
environment the demo will be served with (``DJANGO_SETTINGS_MODULE``,
``DATABASE_URL``...); it prints ``{"items": n, "tokens": [...]}`` as one
line of JSON. It goes through the demo's own management commands and models
by name, so that what the load test reads is what the demo wrote.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RIGHTS_HOLDERS = ("Hogarth Press", "Harms, Inc.", "Walt Disney Productions", "Unknown")


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the database holds for the load test: item count and tokens of fresh users."""

    items: int
    tokens: tuple[str, ...]


def _prepare(items: int, tokens: int, migrate: bool = True) -> Prepared:
    import django
    from django.apps import apps
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    item_model = apps.get_model("catalog", "CopyrightItem")
    missing = items - item_model.objects.count()
    if missing > 0:
        item_model.objects.bulk_create(
            (
                item_model(
                    title=f"Load-test work {number}",
                    rights_holder=RIGHTS_HOLDERS[number % len(RIGHTS_HOLDERS)],
                    year=1900 + number % 120,
                    registration_number=f"LT-{number:06d}",
                )
                for number in range(missing)
            ),
            batch_size=1000,
        )
    run = uuid.uuid4().hex[:8]
    issued = []
    for number in range(tokens):
        out = io.StringIO()
        call_command("issue_token", f"loadtest-{run}-{number}", stdout=out, stderr=io.StringIO())
        issued.append(out.getvalue().strip())
    return Prepared(items=item_model.objects.count(), tokens=tuple(issued))


def prepare_database(env: Mapping[str, str], items: int, tokens: int) -> Prepared:
    """Run the preparation in a child process with ``env``; return what it made.

    Raises:
        RuntimeError: the child failed; the message ends with its stderr.
    """
    command = [sys.executable, "-m", "prodready_loadtest.prepare"]
    result = subprocess.run(
        [*command, "--items", str(items), "--tokens", str(tokens)],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"preparing the demo database failed (status {result.returncode}):\n"
            f"{result.stderr[-3000:]}"
        )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return Prepared(items=int(data["items"]), tokens=tuple(str(t) for t in data["tokens"]))


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare the database named by the environment and print the result as JSON."""
    parser = argparse.ArgumentParser(prog="python -m prodready_loadtest.prepare")
    parser.add_argument("--items", type=int, default=2000, help="items the catalog should hold")
    parser.add_argument("--tokens", type=int, default=3, help="API tokens to issue, one per user")
    parser.add_argument(
        "--no-migrate", action="store_true", help="leave the schema alone (tokens and items only)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    prepared = _prepare(args.items, args.tokens, migrate=not args.no_migrate)
    print(json.dumps({"items": prepared.items, "tokens": list(prepared.tokens)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
