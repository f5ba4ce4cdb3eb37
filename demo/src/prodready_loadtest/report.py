"""Write docs/performance.md from a comparison: set-up, targets, a table per mode, the checks."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.compare import EXPECTED_FAILURES, Comparison, ModeResult, ratios, spread
from prodready_loadtest.runner import RunOptions
from prodready_loadtest.scenarios import SCENARIOS
from prodready_loadtest.serving_report import section_lines, serving_block_in


def _number(value: float | None, digits: int = 0) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def _rate_cells(result: ModeResult, off: ModeResult | None, scenario: str) -> str:
    found = ratios(result, off, scenario) if off else []
    ratio = f"{statistics.median(found):.2f}×" if found else "-"
    return f"{_number(result.throughput(scenario))} | {ratio}"


def _mode_row(result: ModeResult, off: ModeResult | None) -> str:
    if result.error is not None:
        return f"| {result.mode} | did not run: {result.error.splitlines()[0]} |" + " |" * 10
    backends = result.check("reuse.max_backends")
    opened = result.check("reuse.connections_opened")
    slowest = result.check("probes.latency")
    runs = result.check("probes.check_runs")
    onset = result.check("ratelimit.ip_onset")
    errors = sum(r.outcome.metrics.get("failures", 0.0) for r in result.runs.values())
    checks = [c for run in result.runs.values() for c in run.outcome.checks]
    failed = [c for c in checks if not c.passed]
    verdict = f"{len(checks) - len(failed)}/{len(checks)} pass"
    if failed and all(result.expected(c) for c in failed):
        verdict += " (failures expected)"
    return (
        f"| {result.mode} | {_rate_cells(result, off, 'pooling')} | "
        f"{_rate_cells(result, off, 'reuse')} | "
        f"{_number(result.metric('reuse', 'p50_ms'))} | "
        f"{_number(result.metric('reuse', 'p99_ms'))} | "
        f"{_number(backends.value if backends else None)} | "
        f"{_number(opened.value if opened else None)} | {errors:.0f} | "
        f"{_number(slowest.value * 1000 if slowest and slowest.value else None)} ms / "
        f"{_number(runs.value if runs else None)} | "
        f"{_number(onset.value if onset else None)} | {verdict} |"
    )


def _check_lines(result: ModeResult) -> list[str]:
    lines = []
    for run in result.runs.values():
        for check in run.outcome.checks:
            mark = " (expected)" if not check.passed and result.expected(check) else ""
            lines.append(_one_line(check) + mark)
    return lines


def _one_line(check: CheckResult) -> str:
    return check.line().splitlines()[0]


def benchmark_table(path: Path) -> str:
    """Return the results table of docs/benchmarks.md (the rows of ``| variant |``), or ``""``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    start = next((i for i, line in enumerate(lines) if line.startswith("| variant |")), None)
    if start is None:
        return ""
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return "\n".join(table)


def _rounds_note(rounds: int) -> str:
    if rounds < 2:
        return ""
    return (
        f"The modes ran {rounds} times, interleaved; req/s and × off are the medians over "
        "the rounds (the ratio taken within each round), everything else is from the last "
        "round, and a check failing in any round counts. "
    )


def _ratio(comparison: Comparison, mode: str, other: str, scenario: str = "reuse") -> str | None:
    first, second = comparison.results.get(mode), comparison.results.get(other)
    found = ratios(first, second, scenario) if first and second else []
    return spread(found) if found else None


def _reading(comparison: Comparison) -> list[str]:
    """Return the paragraphs that say what the figures mean (numbers from this run)."""
    options = comparison.options
    lines = []
    pooling = _ratio(comparison, "native", "off", "pooling")
    if pooling is not None:
        lines.append(
            f"- **native against off, one SELECT 1 per request: {pooling}.** With the "
            "middleware and the view's work taken away, what differs is getting a connection: "
            "the pool lends an open one, `off` opens a new one for every request (a PostgreSQL "
            "backend forked, authentication, catalogue caches, and the client's start-up "
            "queries). This is the target's measurement."
        )
    native_off = _ratio(comparison, "native", "off")
    if native_off is not None:
        lines.append(
            f"- **native against off, the demo's catalogue: {native_off}.** The same saving "
            "per request, but each request here also costs two queries, a 50-row JSON page, "
            "a Redis round trip and the demo's middleware chain (run with the view in one "
            "worker thread per request by prodready.asgi); on two CPUs shared with "
            "PostgreSQL and Locust, that work dilutes the ratio. Where connecting is dearer "
            "(TLS, SCRAM, a network hop to the database), the saving grows."
        )
    bouncer = _ratio(comparison, "pgbouncer", "native")
    pgbouncer = comparison.results.get("pgbouncer")
    if bouncer is not None and pgbouncer is not None:
        most = pgbouncer.check("reuse.max_backends")
        opened = pgbouncer.check("reuse.connections_opened")
        lines.append(
            f"- **pgbouncer against native: {bouncer}.** Django opens a client "
            "connection to pgbouncer per request (no pool in the app), which is cheap next to "
            "a PostgreSQL backend; pgbouncer lends a server connection per transaction (here "
            "per query), where Django's pool lends one for a whole request. It held "
            f"{_number(most.value if most else None)} server connections at most and opened "
            f"{_number(opened.value if opened else None)} after the warm-up: its pool size is "
            "a bound that every instance behind it shares."
        )
    persistent = comparison.results.get("persistent")
    backends = persistent.check("reuse.max_backends") if persistent else None
    if persistent is not None and backends is not None:
        errors = sum(r.outcome.metrics.get("failures", 0.0) for r in persistent.runs.values())
        lines.append(
            f"- **persistent under ASGI.** Backends peaked at {_number(backends.value)} "
            f"(the run's role allows {options.connection_limit}) and {errors:.0f} requests "
            "failed. The catalogue's views are synchronous: prodready.asgi runs them in a "
            "fixed pool of ASGI_THREADS threads per worker, so their persistent connections "
            "are bounded by WEB_CONCURRENCY × ASGI_THREADS. An async view does its "
            "database work on a thread lent for the request; past the threads kept for "
            "reuse, a burst of async requests starts threads that end after the request, "
            "and a persistent connection opened there stays open until it is "
            "garbage-collected, up to the server's max_connections: this is why "
            "prodready.E001 still refuses CONN_MAX_AGE under ASGI."
        )
    exact = [
        m
        for m, r in comparison.results.items()
        if (c := r.check("ratelimit.ip_onset")) and c.passed
    ]
    if exact:
        lines.append(
            f"- **Rate limits** are counted in Redis by all workers together: the 429 onset "
            f"was exactly one past the limit in {', '.join(exact)} mode, one atomic increment "
            "per request whatever process serves it. Where a mode's requests fail with 500, "
            "those requests spent quota too (they were counted before the view failed)."
        )
    return lines


def _setup(options: RunOptions) -> str:
    scenarios = "\n".join(
        f"- `{name}` ({', '.join(SCENARIOS[name].user_classes)}): {SCENARIOS[name].description}"
        for name in options.scenarios
    )
    return (
        "The demo runs under uvicorn (with uvloop and httptools, as `uvicorn[standard]` "
        f"installs them) with {options.workers} worker processes and the `prod` "
        "profile (DEBUG off, TLS redirect off since nothing terminates TLS here), "
        f"`DB_POOL_MIN_SIZE={options.pool_min}`, `DB_POOL_MAX_SIZE={options.pool_max}`, "
        "rate limits counted in Redis. Each mode gets a fresh database and a role of its own "
        f"limited to {options.connection_limit} connections, so that a leaking mode fails its "
        "own requests instead of exhausting a server others share; pgbouncer (transaction "
        f"mode, pool size {options.workers * options.pool_max}) is started in front of it for "
        f"`pgbouncer`. Locust runs {options.users} users (FastHttpUser, no think time) for "
        f"{options.duration:g} s per scenario; steady-state figures start "
        f"{options.warmup:g} s after the last user started.\n\n{scenarios}\n"
    )


def render(comparison: Comparison, benchmarks: Path, previous: Path | None = None) -> str:
    """Return the whole of docs/performance.md.

    Args:
        comparison: the pool modes' results.
        benchmarks: docs/benchmarks.md, whose table is copied beside them.
        previous: the page being replaced: its serving section (written by
            ``python -m prodready_loadtest.serving --write``, between the
            serving markers) is kept as it is; without one, a placeholder.
    """
    options, machine = comparison.options, comparison.machine
    off = comparison.results.get("off")
    rounds = len(next(iter(comparison.results.values())).rounds) if comparison.results else 1
    load = ", ".join(f"{x:.1f}" for x in machine.load_before)
    load_after = ", ".join(f"{x:.1f}" for x in comparison.load_after)
    out = [
        "# Performance: the pool modes under load",
        "",
        "<!-- Generated by `prodready loadtest --compare`; do not edit by hand. -->",
        "",
        "Produced by one command, on the machine described below:",
        "",
        "```sh",
        comparison.command,
        "```",
        "",
        f"**Machine.** {machine.cpus} CPUs, {machine.machine}; load average {load} before "
        f"and {load_after} after the run (1, 5, 15 min). {machine.software()}. Commit "
        f"`{machine.commit}`, {machine.when}. Locust, PostgreSQL, Redis and uvicorn share "
        "these CPUs, so absolute figures say little; compare the modes by their ratios.",
        "",
        "**Set-up.** " + _setup(options),
        "![Throughput per mode, and the app's backends on PostgreSQL over time](performance.png)",
        "",
        "## Targets",
        "",
        "| target | measured | wanted | verdict |",
        "|---|---|---|---|",
        *[
            f"| {t.name} | {t.measured} | {t.wanted} | {'met' if t.met else '**NOT met**'} |"
            for t in comparison.targets
        ],
        "",
        *section_lines(serving_block_in(previous)),
        "## Per mode",
        "",
        f"{_rounds_note(rounds)}SELECT 1 req/s is the pooling scenario's steady "
        "throughput; items req/s, p50 and p99 are the reuse scenario's steady state; "
        "max backends and sessions "
        "opened after warm-up are counted by PostgreSQL (`pg_stat_activity`, "
        "`pg_stat_database.sessions`); errors are failed requests in all scenarios; probes "
        "gives the slowest readiness answer and how many times the checks really ran; 429 "
        "onset is the position of the first refused request in its window under "
        f"`{options.rules}`.",
        "",
        "| mode | SELECT 1 req/s | × off | items req/s | × off | p50 ms | p99 ms "
        "| max backends | opened after warm-up | errors | probes: slowest / check runs "
        "| 429 onset | checks |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
        *[_mode_row(r, off) for r in comparison.results.values()],
        "",
    ]
    for mode, (_, why) in EXPECTED_FAILURES.items():
        if mode in comparison.results:
            out.append(f"- **{mode}**: {why}.")
    out += ["", "## Reading", "", *_reading(comparison), "", "## Every check", ""]
    for result in comparison.results.values():
        out += [f"**{result.mode}**", "", "```", *_check_lines(result), "```", ""]
    table = benchmark_table(benchmarks)
    out += [
        "## Beside it: what the rate-limit middleware costs per request",
        "",
        "From [benchmarks.md](benchmarks.md) (a separate run, measured in-process "
        "without a server; see there for the method and the targets):",
        "",
        table or "(the table was not found in benchmarks.md)",
        "",
    ]
    out += [
        "## Running the load tests",
        "",
        "`prodready loadtest` runs one mode (`--pool-mode`, default native) and exits 1 "
        "when a check fails; `--short` is the CI version (a few seconds per scenario); "
        "`--scenario pooling,reuse,probes,ratelimit` picks scenarios. Locust's CSV and HTML "
        f"reports of every run are kept under `{options.reports}/<time>-<mode>/<scenario>/`.",
        "",
        "The locustfiles also run on their own against any deployment, reading the app's "
        "variables (`WEB_CONCURRENCY`, `DB_POOL_MAX_SIZE`, `RATELIMIT_RULES`, "
        "`HEALTH_TIMEOUT`...) to know what to expect; each check prints one "
        "`CHECK <name>: <measured> (bound <bound>) PASS|FAIL` line and a failure makes "
        "Locust exit 1:",
        "",
        "```sh",
        "locust -f loadtests --headless -u 20 -r 20 -t 30s --host http://127.0.0.1:8000 "
        "ItemsReader",
        "locust -f loadtests --headless -u 20 -r 20 -t 30s --host http://127.0.0.1:8000 "
        "--tags probes",
        "locust -f loadtests --headless -u 8 -r 8 -t 90s --host http://127.0.0.1:8000 "
        "--tags ratelimit",
        "```",
        "",
        "`SelectOneReader` (the pooling scenario) runs only when named: its endpoint exists "
        "only in the app `prodready loadtest` serves for it "
        "(`prodready_loadtest.pooling_settings`).",
        "",
        "Locust's users ramp up; an attacker does not. Bursts of simultaneous connections "
        "against the rate limiter (the first right after start, the CPU saturated) are "
        "measured with `python -m prodready_loadtest.burst`: method and results in "
        "[bursts.md](bursts.md).",
        "",
        "| variable | meaning |",
        "|---|---|",
        "| `LOADTEST_PG_URL` | where the sampler connects (default `DATABASE_URL`; required "
        "behind pgbouncer). A role that sees other sessions' details, e.g. the superuser |",
        "| `LOADTEST_WARMUP` | seconds after the last user started before steady state "
        "(default 1) |",
        "| `LOADTEST_TOKENS` | API tokens for the user-keyed limits, comma-separated; without it "
        "`LOADTEST_TOKEN_COUNT` (default 3) are issued with the demo's `issue_token` |",
        "| `LOADTEST_PGBOUNCER_POOL_SIZE` | pgbouncer's `default_pool_size` (default "
        "`WEB_CONCURRENCY × DB_POOL_MAX_SIZE`) |",
        "| `LOADTEST_PROBE_RATE` | readiness probes per second per probing user (default 20) |",
        "| `LOADTEST_OUTPUT_DIR` | where `checks.json`, `samples.jsonl` and `progress.json` go |",
        "",
    ]
    return "\n".join(out)


def write_report(comparison: Comparison, docs: Path, benchmarks: Path) -> None:
    """Write the report to ``docs`` and its chart beside it (same name, ``.png``)."""
    from prodready_loadtest.chart import write_chart

    docs.parent.mkdir(parents=True, exist_ok=True)
    write_chart(comparison, docs.with_suffix(".png"))
    docs.write_text(render(comparison, benchmarks, previous=docs), encoding="utf-8")
