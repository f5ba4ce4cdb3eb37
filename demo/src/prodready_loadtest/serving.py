"""Measure the servers side by side: prodready's ASGI handler, Django's, and gunicorn's gthread.

``uv run python -m prodready_loadtest.serving [--rounds 3] [--workers 1] [--duration 10]
[--connections 16] [--write]`` serves the same project three ways (see
:data:`~prodready_loadtest.serving_results.SERVERS`) with the same settings,
each started fresh for every measurement, on two apps (the demo's
``GET /api/items/`` and the ``SELECT 1`` app), and loads each with wrk. Rounds
interleave the servers, their order rotated from round to round; the ratios
are taken within each round. It prints a line per measurement as it goes,
then the medians, the ratios and the targets; ``--write`` also puts them in
docs/performance.md (between the ``serving`` markers) and docs/serving.png.

Exit status: 0 when every measurement counted, 1 when one did not (it did not
run, or some of its requests failed), 2 when something it needs is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import secrets
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg

from prodready_loadtest.app_servers import running_gunicorn, running_uvicorn
from prodready_loadtest.environment import describe_machine
from prodready_loadtest.postgres import PgServer, fresh_database
from prodready_loadtest.prepare import prepare_database
from prodready_loadtest.processes import ServerError
from prodready_loadtest.runner import DEFAULT_REDIS_URL, deployed_env, forget_keys
from prodready_loadtest.serving_report import (
    measurement_text,
    summary_text,
    with_serving_block,
)
from prodready_loadtest.serving_results import (
    APPS,
    SERVERS,
    App,
    Measurement,
    Server,
    ServingOptions,
    ServingRun,
)
from prodready_loadtest.wrk import WrkError, find_wrk, run_wrk, wrk_version

PACKAGES = (
    "django",
    "uvicorn",
    "uvloop",
    "httptools",
    "gunicorn",
    "psycopg",
    "psycopg-pool",
    "redis",
)
# Starting a server, and stopping it, on top of the warm-up and the measurement.
STARTUP_SECONDS = 5.0


def schedule(rounds: int) -> list[tuple[int, App, Server]]:
    """Return the measurements in order: by round, each app, the servers rotated per round."""
    order = []
    for number in range(1, rounds + 1):
        shift = (number - 1) % len(SERVERS)
        servers = SERVERS[shift:] + SERVERS[:shift]
        order += [(number, app, entry) for app in APPS for entry in servers]
    return order


def _environment(
    options: ServingOptions, database: PgServer, redis_url: str, scratch: Path, prefix: str
) -> dict[str, str]:
    """Return the environment every server gets (``DJANGO_SETTINGS_MODULE`` set per app)."""
    pool = (options.pool_size, options.pool_size)
    env = deployed_env("staging", database, pool, options.workers, scratch)
    env.update(
        {
            "DB_POOL_MODE": "native",
            "REDIS_URL": redis_url,
            "RATELIMIT_RULES": options.rules,
            "RATELIMIT_KEY_PREFIX": prefix,
        }
    )
    return env


def _serve(
    entry: Server, env: dict[str, str], options: ServingOptions, log: Path
) -> contextlib.AbstractContextManager[str]:
    if entry.name == "gunicorn":
        return running_gunicorn(env, options.workers, options.pool_size, log)
    if entry.name == "django":
        return running_uvicorn(
            env, options.workers, log, app="demo.plain_asgi:application", lifespan="off"
        )
    return running_uvicorn(env, options.workers, log, app="demo.asgi:application")


def _measure(
    number: int, app: App, entry: Server, env: dict[str, str], options: ServingOptions, log: Path
) -> Measurement:
    """Start ``entry`` serving ``app``, warm it up, measure it with wrk, stop it."""
    binary = find_wrk() or "wrk"
    load = {"threads": options.threads, "connections": options.connections}
    try:
        with _serve(entry, {**env, "DJANGO_SETTINGS_MODULE": app.settings}, options, log) as url:
            run_wrk(binary, url + app.path, duration=options.warmup, **load)
            result = run_wrk(binary, url + app.path, duration=options.duration, **load)
    except (ServerError, WrkError) as err:
        # One line, with the end of the server's log or wrk's output in it.
        said = " / ".join(line.strip() for line in str(err).splitlines() if line.strip())
        error = f"{said[-400:]} (server log: {log})"
        return Measurement(number, app.name, entry.name, error=error)
    return Measurement(number, app.name, entry.name, result=result)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def measure_all(run: ServingRun, reports: Path, started: float) -> None:
    """Run every measurement of ``run.options``, printing each result as soon as it is in."""
    options = run.options
    order = schedule(options.rounds)
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    server = PgServer.from_url(os.environ.get("DATABASE_URL"))
    prefix = f"serving-{secrets.token_hex(5)}"
    scratch = reports / "empty"
    scratch.mkdir(parents=True, exist_ok=True)
    limit = 3 * options.workers * options.pool_size + 4
    with fresh_database(server, limit, prefix="prodready_serving") as database:
        env = _environment(options, database, redis_url, scratch, prefix)
        prepared = prepare_database(env, options.items, tokens=0)
        print(
            f"database {database.dbname}: migrated, {prepared.items} items "
            f"({_clock(time.monotonic() - started)} elapsed)",
            flush=True,
        )
        began = time.monotonic()
        try:
            for index, (number, app, entry) in enumerate(order, start=1):
                log = reports / f"r{number}-{app.name}-{entry.name}.log"
                measurement = _measure(number, app, entry, env, options, log)
                run.measurements.append(measurement)
                each = (time.monotonic() - began) / index
                print(
                    f"[{index}/{len(order)}] round {number}/{options.rounds} GET {app.path} "
                    f"{entry.label}: {measurement_text(measurement)}  "
                    f"({_clock(time.monotonic() - started)} elapsed, "
                    f"ETA {_clock(each * (len(order) - index))})",
                    flush=True,
                )
        finally:
            forget_keys(redis_url, prefix)


def write_docs(run: ServingRun, docs: Path) -> Path:
    """Put the results in ``docs`` between the markers; the chart goes to ``serving.png``."""
    from prodready_loadtest.serving_chart import write_serving_chart
    from prodready_loadtest.serving_report import markdown

    chart = docs.parent / "serving.png"
    write_serving_chart(run, chart)
    page = docs.read_text(encoding="utf-8") if docs.exists() else ""
    docs.write_text(with_serving_block(page, markdown(run)), encoding="utf-8")
    return chart


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = ServingOptions()
    parser = argparse.ArgumentParser(
        prog="python -m prodready_loadtest.serving", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=defaults.rounds, help="default 3")
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="worker processes per server (1)"
    )
    parser.add_argument(
        "--duration", type=float, default=defaults.duration, help="seconds of wrk per run (10)"
    )
    parser.add_argument(
        "--connections", type=int, default=defaults.connections, help="wrk's connections (16)"
    )
    parser.add_argument(
        "--warmup", type=float, default=defaults.warmup, help="seconds of warm-up per server (2)"
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the results into --docs (between the serving markers) and serving.png",
    )
    parser.add_argument("--docs", type=Path, default=Path("docs/performance.md"))
    parser.add_argument("--reports", type=Path, default=Path("loadtest-reports"))
    args = parser.parse_args(argv)
    if min(args.rounds, args.workers, args.connections) < 1 or args.duration < 1:
        parser.error("--rounds, --workers and --connections must be ≥ 1, --duration ≥ 1 s")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison; return 0, 1 (a measurement did not count) or 2 (set-up)."""
    args = _arguments(argv)
    options = ServingOptions(
        rounds=args.rounds,
        workers=args.workers,
        duration=args.duration,
        connections=args.connections,
        warmup=args.warmup,
    )
    binary = find_wrk()
    if binary is None:
        print("serving comparison: wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2
    if importlib.util.find_spec("gunicorn") is None:
        print("serving comparison: gunicorn is not installed (uv sync).", file=sys.stderr)
        return 2
    total = len(schedule(options.rounds))
    guess = total * (options.warmup + options.duration + STARTUP_SECONDS)
    print(
        f"serving comparison: {len(SERVERS)} servers × {len(APPS)} apps × {options.rounds} "
        f"round(s) = {total} measurements of wrk -c{options.connections} "
        f"-d{options.duration:g}s, {options.workers} worker(s) each; about {_clock(guess)}",
        flush=True,
    )
    started = time.monotonic()
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    words = ["uv", "run", "python", "-m", "prodready_loadtest.serving"]
    command = shlex.join([*words, *(sys.argv[1:] if argv is None else argv)])
    reports = args.reports / f"{time.strftime('%Y%m%d-%H%M%S')}-serving"
    try:
        server = PgServer.from_url(os.environ.get("DATABASE_URL"))
        machine = describe_machine(server, redis_url, packages=PACKAGES)
        run = ServingRun(options, command, machine, wrk_version(binary))
        measure_all(run, reports, started)
    except (psycopg.Error, ValueError, RuntimeError) as err:
        print(f"serving comparison: {err}", file=sys.stderr)
        return 2
    run.load_after = os.getloadavg()
    print(summary_text(run), flush=True)
    print(f"server logs in {reports}")
    if args.write:
        chart = write_docs(run, args.docs)
        print(f"serving comparison: wrote {args.docs} (between the markers) and {chart}.")
    return 1 if run.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
