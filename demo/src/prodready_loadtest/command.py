"""``prodready loadtest``: its options, and what it prints and returns."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from prodready_loadtest.scenarios import DEMO_RULES, MODES, SCENARIOS

if TYPE_CHECKING:
    from prodready.commands import Command
    from prodready_loadtest.runner import RunOptions, ScenarioRun

# --short: the CI version. The seed's ingest rule stays, so its 101st ingest is
# still the first 429; the read limit is lower, to reach it in a few seconds.
SHORT_DURATION = 4.0
SHORT_RULES = "POST /api/ingest/ 100/h user_or_ip; GET /api/ 300/h ip"
SHORT_ITEMS = 500


def _scenarios(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if names == ("all",):
        return tuple(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or text!r}; choose from "
            f"{', '.join(SCENARIOS)} or all, comma-separated"
        )
    return names


def _seconds(text: str) -> float:
    scale = {"s": 1, "m": 60}.get(text[-1:], 1)
    try:
        value = float(text[:-1] if text[-1:] in "sm" else text) * scale
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 20, 20s or 2m")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``prodready loadtest`` to ``parser``."""
    parser.add_argument("--pool-mode", choices=MODES, default="native", help="default native")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--users", type=int, default=20, help="Locust users (default 20)")
    parser.add_argument(
        "--spawn-rate", type=float, default=None, help="users started per second (default: all)"
    )
    parser.add_argument(
        "--duration",
        type=_seconds,
        default=None,
        help="seconds per scenario, e.g. 20 or 2m (default 20; 4 with --short); the "
        "ratelimit scenario runs until its work is done, up to 90 s",
    )
    parser.add_argument(
        "--scenario",
        type=_scenarios,
        default=tuple(SCENARIOS),
        help=f"comma-separated: {', '.join(SCENARIOS)} or all (default all)",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="run every pool mode in turn and write --docs and its chart",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --compare: run every mode this many times, interleaved, and report "
        "medians (default 1)",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help=f"the CI version: {SHORT_DURATION:g} s per scenario, {SHORT_ITEMS} items, "
        f"rules '{SHORT_RULES}'",
    )
    parser.add_argument(
        "--rules",
        default=None,
        help=f"RATELIMIT_RULES of the ratelimit scenario (default the demo's: '{DEMO_RULES}')",
    )
    parser.add_argument(
        "--store",
        choices=("redis", "locmem"),
        default="redis",
        help="where rate limits are counted: REDIS_URL (default) or each worker's memory",
    )
    parser.add_argument("--pool-min", type=int, default=4, help="DB_POOL_MIN_SIZE (default 4)")
    parser.add_argument("--pool-max", type=int, default=4, help="DB_POOL_MAX_SIZE (default 4)")
    parser.add_argument(
        "locust_args",
        nargs=argparse.REMAINDER,
        metavar="-- LOCUST_OPTIONS",
        help="after --: passed to every Locust run, e.g. -- --loglevel DEBUG",
    )
    parser.add_argument(
        "--reports",
        type=Path,
        default=Path("loadtest-reports"),
        help="directory for Locust's reports (default loadtest-reports)",
    )
    parser.add_argument(
        "--docs",
        type=Path,
        default=Path("docs/performance.md"),
        help="report written by --compare (default docs/performance.md; the chart goes beside)",
    )


def options_from(args: argparse.Namespace) -> RunOptions:
    """Build the run options from parsed arguments."""
    from prodready_loadtest.runner import RunOptions

    short = bool(args.short)
    duration = args.duration or (SHORT_DURATION if short else 20.0)
    return RunOptions(
        workers=args.workers,
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration=duration,
        scenarios=args.scenario,
        pool_min=args.pool_min,
        pool_max=args.pool_max,
        rules=args.rules or (SHORT_RULES if short else DEMO_RULES),
        store=args.store,
        items=SHORT_ITEMS if short else 2000,
        reports=args.reports,
        locust_args=tuple(_locust_args(getattr(args, "locust_args", []) or [])),
    )


def _locust_args(words: Sequence[str]) -> list[str]:
    return list(words[1:] if words[:1] == ["--"] else words)


def _print_runs(runs: Sequence[ScenarioRun]) -> None:
    for run in runs:
        metrics = run.outcome.metrics
        figures = ""
        if "rps" in metrics:
            figures = (
                f": {metrics['rps']:.1f} req/s, p50 {metrics['p50_ms']:.0f} ms, "
                f"p99 {metrics['p99_ms']:.0f} ms, {metrics['failures']:.0f} failed"
            )
        verdict = "passed" if run.passed else f"FAILED (Locust exit {run.exit_code})"
        print(f"{run.mode} {run.scenario}{figures} - {verdict}; reports in {run.directory}")
        for check in run.outcome.checks:
            print(f"  {check.line()}")
    sys.stdout.flush()


def command_line(args: argparse.Namespace) -> str:
    """Return the command that repeats this run: ``uv run prodready loadtest`` and the options
    that differ from their defaults."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    defaults = vars(parser.parse_args([]))
    words = ["uv", "run", "prodready", "loadtest"]
    for action in parser._actions:  # argparse has no public way to list an options' actions
        if not action.option_strings or action.dest == "help":
            continue
        value = getattr(args, action.dest, None)
        if value == defaults.get(action.dest):
            continue
        flag = action.option_strings[0]
        if isinstance(value, bool):
            words.append(flag)
        elif isinstance(value, tuple):
            words += [flag, ",".join(value)]
        else:
            words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return shlex.join(words)


def run(args: argparse.Namespace) -> int:
    """Run ``prodready loadtest``; return 0 if every check passed, 1 if not, 2 on set-up errors."""
    from prodready_loadtest.processes import ServerError
    from prodready_loadtest.progress import Steps
    from prodready_loadtest.runner import run_mode

    options = options_from(args)
    what = "every pool mode (--compare)" if args.compare else f"{args.pool_mode} mode"
    print(
        f"prodready loadtest: {what}, scenarios {', '.join(options.scenarios)}; "
        f"{options.workers} uvicorn worker(s), {options.users} Locust users, "
        f"{options.duration:g} s a scenario; reports under {options.reports}/",
        flush=True,
    )
    try:
        if args.compare:
            return _compare(args, options)
        steps = Steps(len(options.scenarios), options.duration + 15)
        runs, _ = run_mode(options, args.pool_mode, steps=steps)
    except (ServerError, ValueError, RuntimeError) as err:
        print(f"prodready loadtest: {err}", file=sys.stderr)
        return 2
    _print_runs(runs)
    passed = all(run.passed for run in runs)
    print(f"prodready loadtest: {'every check passed' if passed else 'a check FAILED'}.")
    return 0 if passed else 1


def _compare(args: argparse.Namespace, options: RunOptions) -> int:
    from prodready_loadtest.compare import ModeResult, compare
    from prodready_loadtest.report import write_report

    def show(result: ModeResult) -> None:  # each mode's results as soon as it finishes
        _print_runs(list(result.runs.values()))
        if result.error:
            print(f"{result.mode}: did not run: {result.error}", flush=True)

    comparison = compare(options, command_line(args), rounds=max(1, args.rounds), on_result=show)
    write_report(comparison, args.docs, args.docs.parent / "benchmarks.md")
    for target in comparison.targets:
        verdict = "met" if target.met else "NOT met"
        print(f"TARGET {target.name}: {target.measured} (wanted {target.wanted}) {verdict}")
    print(f"prodready loadtest: wrote {args.docs} and {args.docs.with_suffix('.png')}.")
    return 0 if comparison.passed else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``prodready loadtest`` with ``argv`` (``python -m prodready_loadtest``)."""
    parser = argparse.ArgumentParser(prog="prodready loadtest")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def _command() -> Command:
    from prodready.commands import Command

    return Command(
        help="serve the demo and run Locust on loadtests/; --compare writes docs/performance.md",
        add_arguments=add_arguments,
        run=run,
    )


COMMAND = _command()
