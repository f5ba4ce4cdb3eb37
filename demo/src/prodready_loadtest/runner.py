"""Run the load tests against the demo: servers up, Locust headless, servers down.

For one pool mode, :func:`run_mode` creates a role and a database of the
run's own on the PostgreSQL server ``DATABASE_URL`` names (with a connection
limit, so that a leaking mode cannot exhaust a shared server), starts
pgbouncer in front of it for ``pgbouncer`` mode, migrates and fills the
database, then for each scenario serves the demo under uvicorn with that
scenario's rate-limit rules and a Redis key prefix of its own, and runs
Locust on the locustfiles of ``loadtests/``. Everything it started is stopped,
and the database and role dropped, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import redis

from prodready.settings.profiles import variable_names
from prodready_loadtest.app_servers import running_uvicorn
from prodready_loadtest.checks import CheckResult, Outcome
from prodready_loadtest.postgres import PgServer, fresh_database
from prodready_loadtest.prepare import Prepared, prepare_database
from prodready_loadtest.processes import running_pgbouncer, stop_process
from prodready_loadtest.progress import Progress, Steps, say
from prodready_loadtest.scenarios import (
    DEMO_RULES,
    FINITE_SCENARIO_SECONDS,
    SCENARIOS,
    SETTINGS,
    PoolMode,
    ScenarioSpec,
)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def default_locustfiles() -> Path:
    """Return ``loadtests/`` of the source checkout (or of the current directory)."""
    checkout = Path(__file__).resolve().parents[3] / "loadtests"
    return checkout if checkout.is_dir() else Path.cwd() / "loadtests"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: the demo's set-up, the load, and where the reports go."""

    workers: int = 2
    users: int = 20
    spawn_rate: float | None = None  # default: every user within a second
    duration: float = 20.0
    scenarios: tuple[str, ...] = ("pooling", "reuse", "probes", "ratelimit")
    pool_min: int = 4
    pool_max: int = 4
    rules: str = DEMO_RULES
    store: Literal["redis", "locmem"] = "redis"
    warmup: float = 1.0
    items: int = 2000
    tokens: int = 3
    reports: Path = Path("loadtest-reports")
    locustfiles: Path = field(default_factory=default_locustfiles)
    #: More options for Locust itself (after ``--`` on the command line).
    locust_args: tuple[str, ...] = ()

    @property
    def connection_limit(self) -> int:
        """Sessions the run's role may hold: room for every mode, not for a leak."""
        pools = self.workers * self.pool_max
        return max(3 * pools, self.users + pools + 4)


@dataclass(slots=True)
class ScenarioRun:
    """One Locust run: its outcome, Locust's exit status and where its files are."""

    mode: str
    scenario: str
    outcome: Outcome
    exit_code: int
    directory: Path

    @property
    def passed(self) -> bool:
        """Tell whether Locust exited 0 and every check passed."""
        return self.exit_code == 0 and self.outcome.passed


def inherited_environ() -> dict[str, str]:
    """Return this process's environment without the app's variables, for a server to start from.

    What configures the app (profile variables, ``DJANGO_SETTINGS_MODULE``,
    ``DB_*``, ``RATELIMIT_*``, ``LOADTEST_*`` and ``PRODREADY_*``) is left
    out, so that only what the run sets reaches the server.
    """
    ours = set(variable_names()) | {"DJANGO_SETTINGS_MODULE"}
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ours and not k.startswith(("LOADTEST_", "PRODREADY_", "DB_", "RATELIMIT_"))
    }


def deployed_env(
    profile: str, database: PgServer, pool: tuple[int, int], workers: int, scratch: Path
) -> dict[str, str]:
    """Return the environment of the demo served as deployed (``profile``), but for TLS.

    Args:
        profile: ``prod`` or ``staging``.
        database: The run's database.
        pool: ``DB_POOL_MIN_SIZE`` and ``DB_POOL_MAX_SIZE``.
        workers: ``WEB_CONCURRENCY``.
        scratch: An empty directory: no ``.env``, ``config_profiles/`` or secrets are read.
    """
    env = inherited_environ()
    env.update(
        {
            "APP_PROFILE": profile,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",  # no TLS in front of this server
            "DATABASE_URL": database.url,
            "DB_POOL_MIN_SIZE": str(pool[0]),
            "DB_POOL_MAX_SIZE": str(pool[1]),
            "WEB_CONCURRENCY": str(workers),
            "PRODREADY_BASE_DIR": str(scratch),
            "PRODREADY_SECRETS_DIR": str(scratch),
            "DJANGO_SETTINGS_MODULE": "demo.settings",
        }
    )
    return env


def _app_env(
    options: RunOptions, mode: PoolMode, database: PgServer, scratch: Path
) -> dict[str, str]:
    """Return the environment of the demo (and of Locust, which reads the same variables)."""
    pool = (options.pool_min, options.pool_max)
    env = deployed_env("prod", database, pool, options.workers, scratch)
    env["DB_POOL_MODE"] = mode
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS[mode]
    if mode == "pgbouncer":
        env["DB_STATEMENT_TIMEOUT"] = "0"  # pgbouncer refuses the 'options' parameter
    if options.store == "redis":
        env["REDIS_URL"] = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    return env


def forget_keys(redis_url: str, prefix: str) -> None:
    """Delete the rate limiter's keys under ``prefix`` (a run's own) from Redis, if it answers."""
    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def _read_outcome(directory: Path, exit_code: int) -> Outcome:
    path = directory / "checks.json"
    if path.exists():
        return Outcome.read(path)
    log = directory / "locust.log"
    tail = log.read_text(encoding="utf-8", errors="replace")[-1500:] if log.exists() else ""
    return Outcome(
        checks=[
            CheckResult(
                name="locust.run",
                passed=False,
                measured=f"Locust exited with status {exit_code} before evaluating its checks",
                bound="checks evaluated",
                detail=f"see {log}; it ends:\n{tail}",
            )
        ]
    )


def run_locust(
    options: RunOptions,
    spec: ScenarioSpec,
    base_url: str,
    env: Mapping[str, str],
    directory: Path,
    label: str,
) -> int:
    """Run Locust headless on ``spec``'s user classes, showing progress; return its status."""
    seconds = max(options.duration, FINITE_SCENARIO_SECONDS) if spec.finite else options.duration
    rate = options.spawn_rate or options.users
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(options.locustfiles),
        "--headless",
        "--users",
        str(options.users),
        "--spawn-rate",
        f"{rate:g}",
        "--run-time",
        f"{max(1, round(seconds))}s",
        "--host",
        base_url,
        "--csv",
        str(directory / "locust"),
        "--html",
        str(directory / "report.html"),
        "--only-summary",
        *options.locust_args,
        *spec.user_classes,
    ]
    (directory / "command.txt").write_text(" ".join(command) + "\n", encoding="utf-8")
    with (directory / "locust.log").open("wb") as sink, Progress(label, directory, seconds):
        process = subprocess.Popen(
            command, env=dict(env), stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            return process.wait(timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            # Locust hangs: stop it; it evaluates its checks on SIGTERM too.
            return stop_process(process, timeout=20) or 1
        except BaseException:  # Ctrl-C: stop Locust as well, then let it through
            stop_process(process, timeout=20)
            raise


def _run_scenario(
    options: RunOptions,
    mode: PoolMode,
    spec: ScenarioSpec,
    url: str,
    served: Mapping[str, str],
    prepared: Prepared,
    root: Path,
    steps: Steps | None,
) -> ScenarioRun:
    directory = root / spec.name
    directory.mkdir(exist_ok=True)
    server = PgServer.from_url(os.environ.get("DATABASE_URL"))
    locust_env = {
        **served,
        "LOADTEST_OUTPUT_DIR": str(directory.resolve()),
        # The sampler connects as the server's own role (it sees every
        # session's details) to the maintenance database (not counted).
        "LOADTEST_PG_URL": server.on("postgres").url,
        "LOADTEST_TOKENS": ",".join(prepared.tokens),
        "LOADTEST_WARMUP": f"{options.warmup:g}",
        "LOADTEST_PGBOUNCER_POOL_SIZE": str(options.workers * options.pool_max),
    }
    if steps is not None:
        steps.start(f"mode {mode}, scenario {spec.name}")
    say(f"Locust: {spec.name} with {options.users} users ({', '.join(spec.user_classes)})")
    status = run_locust(options, spec, url, locust_env, directory, f"{mode} {spec.name}")
    return ScenarioRun(mode, spec.name, _read_outcome(directory, status), status, directory)


@contextlib.contextmanager
def _database_for(
    options: RunOptions, mode: PoolMode, server: PgServer, directory: Path
) -> Iterator[PgServer]:
    """Yield the run's database as the app reaches it (through pgbouncer in that mode)."""
    say(f"database: creating a database of the run's own on {server.host}:{server.port}")
    with fresh_database(server, options.connection_limit) as database:
        if mode != "pgbouncer":
            yield database
            return
        pool = options.workers * options.pool_max
        say(f"servers: pgbouncer in front of {database.dbname}, pool size {pool}")
        with running_pgbouncer(database, pool, directory / "pgbouncer.log") as port:
            yield database.on(database.dbname, host="127.0.0.1", port=port)


def run_mode(
    options: RunOptions, mode: PoolMode, stamp: str | None = None, steps: Steps | None = None
) -> tuple[list[ScenarioRun], Prepared | None]:
    """Run every scenario of ``options`` in pool mode ``mode``; return the runs.

    Raises:
        ValueError: ``DATABASE_URL`` does not name PostgreSQL.
        prodready_loadtest.processes.ServerError: a server did not start.
    """
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    root = options.reports / f"{stamp}-{mode}"
    root.mkdir(parents=True, exist_ok=True)
    scratch = root / "empty"
    scratch.mkdir(exist_ok=True)
    server = PgServer.from_url(os.environ.get("DATABASE_URL"))
    runs: list[ScenarioRun] = []
    with _database_for(options, mode, server, root) as reached:
        env = _app_env(options, mode, reached, scratch)
        say(f"migrations and seed: {options.items} items, {options.tokens} API tokens")
        prepared = prepare_database(env, options.items, options.tokens)
        # One server per app and set of rules: scenarios that share both share a server.
        groups: dict[tuple[str, str], list[ScenarioSpec]] = {}
        for name in options.scenarios:
            spec = SCENARIOS[name]
            app = spec.settings or SETTINGS[mode]
            groups.setdefault((app, spec.rules or options.rules), []).append(spec)
        for (app, rules), specs in groups.items():
            prefix = f"lt-{secrets.token_hex(5)}"
            served = {**env, "RATELIMIT_RULES": rules, "RATELIMIT_KEY_PREFIX": prefix}
            served["DJANGO_SETTINGS_MODULE"] = app
            log = root / f"uvicorn-{'-'.join(spec.name for spec in specs)}.log"
            say(f"servers: uvicorn, {options.workers} worker(s), {app} ({mode} mode)")
            try:
                with running_uvicorn(served, options.workers, log) as url:
                    for spec in specs:
                        runs.append(
                            _run_scenario(options, mode, spec, url, served, prepared, root, steps)
                        )
            finally:
                if "REDIS_URL" in served:
                    forget_keys(served["REDIS_URL"], prefix)
    return runs, prepared
