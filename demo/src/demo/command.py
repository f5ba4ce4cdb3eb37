"""``prodready demo``: migrate, seed and serve the demo project under uvicorn.

The demo writes only to a database of its own: ``--database URL``, else
``PRODREADY_DEMO_DATABASE_URL``, else a SQLite file under its state directory
(``$XDG_STATE_HOME/prodready-demo``, by default
``~/.local/state/prodready-demo``). The ``DATABASE_URL`` of the shell (a
project's own) is never used. Everything else comes from the profile, as in
any project.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from prodready.commands import Command

DATABASE_VARIABLE = "PRODREADY_DEMO_DATABASE_URL"


def state_dir() -> Path:
    """Return the directory the demo keeps its SQLite database in."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "prodready-demo"


def demo_database(given: str | None) -> str:
    """Return the database URL the demo uses: given, from its variable, or its own SQLite."""
    if given:
        return given
    if os.environ.get(DATABASE_VARIABLE):
        return os.environ[DATABASE_VARIABLE]
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'demo.sqlite3'}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``prodready demo``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="uvicorn worker processes (default: WEB_CONCURRENCY or 1)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help=f"the demo's database (default: {DATABASE_VARIABLE}, else a SQLite file under "
        f"{state_dir()}); never the shell's DATABASE_URL",
    )


def run(args: argparse.Namespace) -> int:
    """Migrate, seed and serve the demo; return the exit status."""
    from prodready.cli import mask, print_problems
    from prodready.settings.loader import collect_sources, validate

    # The demo's own settings and database, whatever project the shell was set up for.
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    os.environ["DATABASE_URL"] = demo_database(args.database)
    if args.workers is not None:
        # The settings read WEB_CONCURRENCY too (connection budget, checks).
        os.environ["WEB_CONCURRENCY"] = str(args.workers)
    collected = collect_sources()
    profile, problems = validate(collected)
    if profile is None:
        print_problems(problems, collected.profile)
        return 1
    import django
    import uvicorn
    from django.core.management import call_command

    django.setup()
    from django.db import connections

    from demo.catalog.seed import seed_items
    from prodready.asgi import StartupFailed, run_checks
    from prodready.pools import close_pools

    try:
        # Here, not only in the workers: with 2 or more, uvicorn exits 0 after they fail.
        run_checks()
    except StartupFailed as err:
        print(err, file=sys.stderr)
        return 1

    url = os.environ["DATABASE_URL"]
    print(
        f"prodready demo: profile {profile.app_profile}, database {mask('DATABASE_URL', url)}, "
        f"{profile.web_concurrency} worker(s)",
        flush=True,
    )
    print("prodready demo: applying migrations...", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    created = seed_items()
    seeded = f"{created} sample items added" if created else "items already present"
    print(f"prodready demo: {seeded}.", flush=True)
    # The workers open pools of their own: this process keeps no connection
    # while it serves (WEB_CONCURRENCY × DB_POOL_MAX_SIZE is the whole budget).
    connections.close_all()
    close_pools()
    url = f"http://{args.host}:{args.port}/api/items/"
    print(f"prodready demo: serving {url} (Ctrl-C stops)", flush=True)
    uvicorn.run(
        "demo.asgi:application",
        host=args.host,
        port=args.port,
        workers=profile.web_concurrency,
        log_level="info",
        # X-Forwarded-For is read by the rate limiter alone (RATELIMIT_TRUSTED_PROXIES).
        proxy_headers=False,
        server_header=False,
        # In-flight requests get this long to finish on Ctrl-C / SIGTERM.
        timeout_graceful_shutdown=20,
    )
    return 0


COMMAND = Command(
    help="migrate, seed and serve the demo project under uvicorn (its own SQLite by default)",
    add_arguments=add_arguments,
    run=run,
)
