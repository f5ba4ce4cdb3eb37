"""Run every pool mode in turn, hold the results to the targets, and write the report.

The modes run one after the other on the same machine, in one command, so
their figures are compared as ratios taken minutes apart rather than as
absolute numbers, which depend on the machine and on whatever else it runs.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.environment import Machine, describe_machine
from prodready_loadtest.postgres import PgServer
from prodready_loadtest.processes import ServerError
from prodready_loadtest.progress import Steps, say
from prodready_loadtest.runner import DEFAULT_REDIS_URL, RunOptions, ScenarioRun, run_mode
from prodready_loadtest.scenarios import MODES, PoolMode

# Run order: native and off side by side, since their ratio is a target;
# persistent last, since it leaks connections up to the run's limit.
RUN_ORDER: tuple[PoolMode, ...] = ("native", "off", "pgbouncer", "persistent")
THROUGHPUT_TARGET = 3.0

# Failures that show what a mode is, not a defect: listed, not counted.
EXPECTED_FAILURES: dict[str, tuple[frozenset[str] | None, str]] = {
    "persistent": (
        None,
        "refused under ASGI by prodready.E001 and measured anyway: a burst of async "
        "requests runs on threads that end after the request, whose connections stay open "
        "until they are garbage-collected (sync views run in prodready.asgi's fixed threads)",
    ),
    "off": (
        frozenset({"reuse.connections_opened", "reuse.max_backends"}),
        "a connection per request, by design",
    ),
}


@dataclass(slots=True)
class ModeResult:
    """The runs of one pool mode, or why it could not run."""

    mode: PoolMode
    runs: dict[str, ScenarioRun] = field(default_factory=dict)
    error: str | None = None
    earlier: list[ModeResult] = field(default_factory=list)  # the same mode in earlier rounds

    @property
    def rounds(self) -> list[ModeResult]:
        """This mode's results in every round, the earliest first."""
        return [*self.earlier, self]

    def throughput(self, scenario: str = "reuse") -> float | None:
        """Return ``scenario``'s steady req/s, the median over the rounds."""
        rates = [r for result in self.rounds if (r := result.metric(scenario, "rps"))]
        return statistics.median(rates) if rates else None

    def check(self, name: str) -> CheckResult | None:
        """Return the check ``name`` from whichever scenario ran it."""
        for run in self.runs.values():
            found = run.outcome.get(name)
            if found is not None:
                return found
        return None

    def metric(self, scenario: str, name: str) -> float | None:
        """Return a steady-state figure of ``scenario`` (e.g. ``rps``), if it ran."""
        run = self.runs.get(scenario)
        return None if run is None else run.outcome.metrics.get(name)

    def expected(self, check: CheckResult) -> bool:
        """Tell whether ``check`` failing is expected in this mode."""
        names, _ = EXPECTED_FAILURES.get(self.mode, (frozenset(), ""))
        return names is None or check.name in names

    def unexpected_failures(self) -> list[CheckResult]:
        """Return the failed checks that are not expected in this mode."""
        found = []
        for result in self.rounds:
            runs = result.runs.values()
            failed = [c for run in runs for c in run.outcome.checks if not c.passed]
            found += [c for c in failed if not self.expected(c)]
            found += [] if result.error is None else [_error_check(result.error)]
        return found


def ratios(first: ModeResult, second: ModeResult, scenario: str = "reuse") -> list[float]:
    """Return ``first``'s req/s in ``scenario`` over ``second``'s, round by round."""
    return [
        a / b
        for x, y in zip(first.rounds, second.rounds, strict=True)
        if (a := x.metric(scenario, "rps")) and (b := y.metric(scenario, "rps"))
    ]


def throughput_scenario(results: dict[str, ModeResult]) -> str:
    """Return the scenario the throughput target is measured on.

    ``pooling`` (one ``SELECT 1`` per request, no middleware) when it ran: the
    measurement the target was set on, where the modes differ only in how a
    connection is got. Otherwise ``reuse`` (the demo's catalogue).
    """
    ran = any(r.metric("pooling", "rps") for result in results.values() for r in result.rounds)
    return "pooling" if ran else "reuse"


def spread(values: Sequence[float]) -> str:
    """Return ``1.85×``, or ``1.85× (1.60 to 2.10 over 3 rounds)``: the median and its range."""
    middle = f"{statistics.median(values):.2f}×"
    if len(values) < 2:
        return middle
    return f"{middle} ({min(values):.2f} to {max(values):.2f} over {len(values)} rounds)"


def _error_check(error: str) -> CheckResult:
    return CheckResult("run", False, "the mode did not run", "a completed run", error)


@dataclass(frozen=True, slots=True)
class Target:
    """A target of the issue: what was measured, what is wanted, and whether it is met."""

    name: str
    measured: str
    wanted: str
    met: bool


def targets(results: dict[str, ModeResult], workers: int) -> list[Target]:
    """Hold the results to the issue's targets (only those whose figures exist), every round."""
    targets_met: list[Target] = []
    native, off = results.get("native"), results.get("off")
    scenario = throughput_scenario(results)
    found = ratios(native, off, scenario) if native and off else []
    if native and off and found:
        rates = (
            f"{native.throughput(scenario) or 0:.0f} / {off.throughput(scenario) or 0:.0f} req/s"
        )
        where = "one SELECT 1 per request" if scenario == "pooling" else "/api/items/"
        targets_met.append(
            Target(
                f"native pool throughput / off ({scenario}: {where})",
                f"{spread(found)}; {rates}",
                f"≥ {THROUGHPUT_TARGET:g}×",
                statistics.median(found) >= THROUGHPUT_TARGET,
            )
        )
    rounds = native.rounds if native else []
    opened = [c for r in rounds if (c := r.check("reuse.connections_opened")) is not None]
    if opened:
        values = sorted({f"{c.value:.0f}" if c.value is not None else c.measured for c in opened})
        targets_met.append(
            Target(
                "native: connections opened after warm-up",
                _per_round(values, len(opened)),
                "0",
                all(c.passed for c in opened),
            )
        )
    onsets = [c for r in rounds if (c := r.check("ratelimit.ip_onset")) is not None]
    if onsets:
        values = sorted({f"request {c.value:.0f}" if c.value else c.measured for c in onsets})
        targets_met.append(
            Target(
                f"429 onset across {workers} workers (native)",
                _per_round(values, len(onsets)),
                onsets[0].bound.split(";")[0],
                all(c.passed for c in onsets),
            )
        )
    return targets_met


def _per_round(values: Sequence[str], rounds: int) -> str:
    if rounds < 2:
        return values[0]
    if len(values) == 1:
        return f"{values[0]} in each of {rounds} rounds"
    return f"{', '.join(values)} over {rounds} rounds"


@dataclass(slots=True)
class Comparison:
    """Everything the report shows."""

    options: RunOptions
    command: str
    machine: Machine
    results: dict[str, ModeResult]  # the last round of each mode; earlier ones hang off it
    targets: list[Target]
    load_after: tuple[float, float, float]

    @property
    def passed(self) -> bool:
        """Tell whether every target is met and no check failed unexpectedly."""
        unexpected = [c for r in self.results.values() for c in r.unexpected_failures()]
        return all(t.met for t in self.targets) and not unexpected


def compare(
    options: RunOptions,
    command: str,
    modes: Sequence[PoolMode] = RUN_ORDER,
    rounds: int = 1,
    on_result: Callable[[ModeResult], None] | None = None,
) -> Comparison:
    """Run ``options``'s scenarios in every mode of ``modes``, ``rounds`` times over.

    The rounds interleave the modes (native, off, ..., native, off, ...), so
    that a change in the machine's load between rounds affects every mode.
    """
    server = PgServer.from_url(os.environ.get("DATABASE_URL"))
    machine = describe_machine(server, os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    stamp = machine.when.replace(" ", "-").replace(":", "")
    results: dict[PoolMode, ModeResult] = {}
    # A scenario takes its duration plus about 15 s of set-up; the ratelimit one runs longer.
    steps = Steps(rounds * len(modes) * len(options.scenarios), options.duration + 15)
    for number in range(1, rounds + 1):
        for mode in modes:
            previous = results.get(mode)
            result = ModeResult(mode, earlier=previous.rounds if previous else [])
            label = f" (round {number} of {rounds})" if rounds > 1 else ""
            say(f"--compare: {mode} mode{label}")
            try:
                runs, _ = run_mode(
                    options, mode, f"{stamp}-r{number}" if rounds > 1 else stamp, steps
                )
            except (ServerError, RuntimeError) as err:
                result.error = str(err)
            else:
                result.runs = {run.scenario: run for run in runs}
            results[mode] = result
            if on_result is not None:
                on_result(result)
    ordered: dict[str, ModeResult] = {mode: results[mode] for mode in MODES if mode in results}
    return Comparison(
        options=options,
        command=command,
        machine=machine,
        results=ordered,
        targets=targets(ordered, options.workers),
        load_after=os.getloadavg(),
    )
