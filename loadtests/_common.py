"""What every locustfile here shares: expectations, scenarios, and the checks at the end.

Locust loads every ``.py`` file of this directory that does not start with
``_``; this module is imported by them instead, once. Each locustfile
registers a :class:`Scenario`: its user classes, what to do when the test
starts, and the checks to evaluate when it stops. A scenario is active when
one of its user classes runs (selected by name, by tag, or by default all).

When the test stops (or Locust quits), every active scenario's checks are
evaluated once; each prints one line, ``CHECK <name>: <measured> (bound
<bound>) PASS|FAIL``, and a failed check sets Locust's exit code to 1. With
``LOADTEST_OUTPUT_DIR`` set, the checks and the steady-state figures also go
to ``checks.json`` there (``prodready loadtest`` reads them).
"""

from __future__ import annotations

import json
import logging
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust import User, events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from prodready_loadtest.checks import CheckResult, Outcome
from prodready_loadtest.expectations import ExpectationError, read_expectations
from prodready_loadtest.probe_checks import percentile

logger = logging.getLogger("loadtests")

try:
    EXPECT = read_expectations()
except ExpectationError as err:
    sys.exit(f"loadtests: {err}")


@dataclass(eq=False)
class Scenario:
    """A group of user classes and the checks that judge what they did.

    Attributes:
        name: Scenario name, also the prefix of its checks (``reuse``...).
        user_classes: The classes whose presence makes the scenario active.
        start: Called at test start (after the run's state is reset).
        evaluate: Called once at the end; returns the scenario's checks.
        finished: For scenarios with a fixed amount of work: True once it is
            done. When every active scenario is finished, the test stops early.
        warmed_up: Called when the warm-up ends.
        prepare: Called when Locust has loaded the locustfiles, if the
            scenario is selected: time to start helpers before the test.
    """

    name: str
    user_classes: tuple[type[User], ...]
    evaluate: Callable[[Environment], list[CheckResult]]
    start: Callable[[Environment], None] = lambda environment: None
    finished: Callable[[], bool] | None = None
    warmed_up: Callable[[], None] = lambda: None
    prepare: Callable[[Environment], None] = lambda environment: None


@dataclass
class _Run:
    """The state of one test run (reset at each test start)."""

    active: list[Scenario] = field(default_factory=list)
    started_at: float = 0.0
    warm_at: float | None = None
    stopped_at: float | None = None
    evaluated: bool = False
    steady_times: list[float] = field(default_factory=list)
    steady_failures: int = 0
    watcher: Any = None


SCENARIOS: list[Scenario] = []
_runs: list[_Run] = [_Run()]


def current_run() -> _Run:
    """Return the state of the run in progress (or of the last one)."""
    return _runs[-1]


def register(scenario: Scenario) -> Scenario:
    """Make ``scenario`` known; its checks run when one of its user classes runs."""
    SCENARIOS.append(scenario)
    return scenario


_output: list[Path] = []


def output_dir() -> Path:
    """Return the directory for this run's files (``LOADTEST_OUTPUT_DIR`` or a new temp dir)."""
    if not _output:
        chosen = EXPECT.output_dir
        if chosen is None:
            chosen = Path(tempfile.mkdtemp(prefix="prodready-loadtest-"))
            logger.info("Run files go to %s (set LOADTEST_OUTPUT_DIR to choose).", chosen)
        chosen.mkdir(parents=True, exist_ok=True)
        _output.append(chosen)
    return _output[0]


def _selected(environment: Environment, scenario: Scenario) -> bool:
    """Tell whether one of ``scenario``'s user classes will run, with the tasks it will keep."""
    options = environment.parsed_options
    tags = set(getattr(options, "tags", None) or ()) or None
    excluded = set(getattr(options, "exclude_tags", None) or ())
    for cls in scenario.user_classes:
        if cls not in environment.user_classes:
            continue
        for task in cls.tasks:
            marks = set(getattr(task, "locust_tag_set", ()))
            if (tags is None or marks & tags) and not marks & excluded:
                return True
    return False


@events.init.add_listener
def _on_init(environment: Environment, **kwargs: Any) -> None:
    # gevent's loop caches its clock, and has not run while the locustfiles
    # (and Django, through prodready) were imported: without this, --run-time
    # would end the test early by the time those imports took.
    gevent.get_hub().loop.update_now()
    _drop_unnamed_opt_in_classes(environment)
    if isinstance(environment.runner, MasterRunner | WorkerRunner):
        logger.warning(
            "The checks of loadtests/ count what one Locust process sees; with --processes or "
            "--master/--worker each process judges only its share, and they will fail."
        )
    for scenario in SCENARIOS:
        if _selected(environment, scenario):
            scenario.prepare(environment)


def _drop_unnamed_opt_in_classes(environment: Environment) -> None:
    # A user class marked opt_in (its endpoint exists only in the app that
    # prodready loadtest serves for it) runs only when named on the command line.
    named = set(getattr(environment.parsed_options, "user_classes", None) or ())
    kept = [
        cls
        for cls in environment.user_classes
        if not getattr(cls, "opt_in", False) or cls.__name__ in named
    ]
    if kept and len(kept) < len(environment.user_classes):
        environment.user_classes[:] = kept


def _drop_classes_without_tasks(environment: Environment) -> None:
    # With --tags, Locust keeps user classes whose every task was filtered out,
    # and fails when it spawns them; a scenario left without tasks is not run.
    kept = [cls for cls in environment.user_classes if cls.tasks]
    if kept and len(kept) < len(environment.user_classes):
        environment.user_classes[:] = kept


@events.test_start.add_listener
def _on_test_start(environment: Environment, **kwargs: Any) -> None:
    _drop_classes_without_tasks(environment)
    run = _Run(started_at=time.time())
    _runs[:] = [run]
    running = set(environment.user_classes)
    run.active = [s for s in SCENARIOS if running & set(s.user_classes)]
    for scenario in run.active:
        scenario.start(environment)
    if any(s.finished is not None for s in run.active):
        run.watcher = gevent.spawn(_stop_when_finished, environment, run)
    gevent.spawn(_write_progress, environment, run)


def _write_progress(environment: Environment, run: _Run) -> None:
    """Write the current figures to ``progress.json`` every second (for a live display)."""
    path = output_dir() / "progress.json"
    while run is current_run() and not run.evaluated:
        total = environment.stats.total
        runner = environment.runner
        figures = {
            "elapsed": time.time() - run.started_at,
            "users": runner.user_count if runner is not None else 0,
            "rps": total.current_rps,
            "requests": total.num_requests,
            "failures": total.num_failures,
            # Since the start: Locust keeps recent percentiles only for its web UI.
            "p50_ms": total.get_response_time_percentile(0.5) or 0,
            "p99_ms": total.get_response_time_percentile(0.99) or 0,
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(figures), encoding="utf-8")
        temporary.replace(path)
        gevent.sleep(1.0)


def _stop_when_finished(environment: Environment, run: _Run) -> None:
    while True:
        gevent.sleep(0.25)
        if all(s.finished is not None and s.finished() for s in run.active):
            logger.info("Every scenario has done its work; stopping the test.")
            assert environment.runner is not None
            environment.runner.quit()
            return


@events.spawning_complete.add_listener
def _on_spawning_complete(user_count: int, **kwargs: Any) -> None:
    run = current_run()
    if run.warm_at is None:
        gevent.spawn_later(EXPECT.warmup, _warm_up_over, run)


def _warm_up_over(run: _Run) -> None:
    if run is not current_run() or run.stopped_at is not None:
        return
    run.warm_at = time.time()
    for scenario in run.active:
        scenario.warmed_up()


@events.request.add_listener
def _on_request(response_time: float, exception: BaseException | None, **kwargs: Any) -> None:
    run = current_run()
    if run.warm_at is not None and run.stopped_at is None:
        run.steady_times.append(response_time)
        run.steady_failures += exception is not None


def steady_metrics() -> dict[str, float]:
    """Return throughput and latency measured between the warm-up's end and the stop."""
    run = current_run()
    if run.warm_at is None or run.stopped_at is None:
        return {}
    seconds = max(run.stopped_at - run.warm_at, 1e-9)
    times = run.steady_times
    return {
        "steady_seconds": seconds,
        "requests": float(len(times)),
        "rps": len(times) / seconds,
        "p50_ms": percentile(times, 0.50) if times else math.nan,
        "p99_ms": percentile(times, 0.99) if times else math.nan,
        "failures": float(run.steady_failures),
    }


def steady_errors_check(scenario: str) -> CheckResult:
    """Return ``<scenario>.errors``: no request failed after the warm-up."""
    failures = current_run().steady_failures
    return CheckResult(
        name=f"{scenario}.errors",
        passed=failures == 0,
        measured=f"{failures} failed requests after warm-up",
        bound="= 0",
        detail="see Locust's failures (a pool timeout or 'too many connections' is a 500)",
        value=float(failures),
    )


def _finish(environment: Environment) -> None:
    run = current_run()
    if run.evaluated or not run.active:
        return
    run.evaluated = True
    run.stopped_at = run.stopped_at or time.time()
    if run.watcher is not None:
        run.watcher.kill(block=False)
    outcome = Outcome(metrics=steady_metrics())
    outcome.metrics["run_seconds"] = run.stopped_at - run.started_at
    for scenario in run.active:
        try:
            outcome.checks += scenario.evaluate(environment)
        except Exception as err:
            logger.exception("Evaluating the %s checks failed.", scenario.name)
            outcome.checks.append(
                CheckResult(
                    name=f"{scenario.name}.evaluation",
                    passed=False,
                    measured=f"{type(err).__name__} while evaluating",
                    bound="no error",
                    detail="see the traceback above",
                )
            )
    for check in outcome.checks:
        print(check.line(), flush=True)
    outcome.write(output_dir() / "checks.json")
    if not outcome.passed:
        environment.process_exit_code = 1


@events.test_stopping.add_listener
def _on_test_stopping(environment: Environment, **kwargs: Any) -> None:
    # Requests still in flight when users are stopped do not count as steady state.
    run = current_run()
    run.stopped_at = run.stopped_at or time.time()


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **kwargs: Any) -> None:
    _finish(environment)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **kwargs: Any) -> None:
    # On SIGTERM Locust quits without stopping the test first.
    _finish(environment)
