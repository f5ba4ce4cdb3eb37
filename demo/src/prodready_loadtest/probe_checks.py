"""Judge a readiness probe storm: statuses, answer times, and how often the checks really ran.

Every readiness body carries the ``timestamp`` of the report it shows, and a
cached report is shown with its original timestamp. So the number of distinct
timestamps is the number of times the checks ran (each run costs the database
one ``SELECT 1``), which the per-process cache bounds by one run per
``HEALTH_CACHE_SECONDS`` per worker process, plus one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from prodready_loadtest.checks import CheckResult


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    """One readiness answer: status, seconds it took, the report's timestamp if any."""

    status: int
    seconds: float
    timestamp: str | None


def percentile(values: Sequence[float], share: float) -> float:
    """Return the ``share`` (0-1) percentile of ``values`` by the nearest-rank method."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def status_check(answers: Sequence[ProbeAnswer]) -> CheckResult:
    """Every answer is 200 or 503."""
    other = [a.status for a in answers if a.status not in (200, 503)]
    unready = sum(1 for a in answers if a.status == 503)
    return CheckResult(
        name="probes.status",
        passed=bool(answers) and not other,
        measured=f"{len(answers)} probes: {len(answers) - unready - len(other)} × 200, "
        f"{unready} × 503, {len(other)} other",
        bound="200 or 503 only",
        detail=f"other statuses: {sorted(set(other))}" if answers else "no probe was answered",
        value=float(len(other)),
    )


def latency_check(answers: Sequence[ProbeAnswer], timeout: float) -> CheckResult:
    """Every answer arrives within ``HEALTH_TIMEOUT``."""
    seconds = [a.seconds for a in answers]
    slowest = max(seconds, default=math.nan)
    late = sum(1 for s in seconds if s > timeout)
    return CheckResult(
        name="probes.latency",
        passed=bool(answers) and not late,
        measured=f"slowest {slowest * 1000:.0f} ms, p99 {percentile(seconds, 0.99) * 1000:.0f} ms, "
        f"{late} later than HEALTH_TIMEOUT",
        bound=f"≤ {timeout * 1000:.0f} ms (HEALTH_TIMEOUT)",
        detail=f"{late} probes answered after {timeout} s: Kubernetes counts each as a failure",
        value=slowest,
    )


def check_runs_check(
    answers: Sequence[ProbeAnswer], seconds: float, workers: int, cache_seconds: float
) -> CheckResult:
    """The checks ran at most once per ``HEALTH_CACHE_SECONDS`` per worker, plus one each."""
    runs = len({a.timestamp for a in answers if a.timestamp})
    if cache_seconds > 0:
        bound = workers * (math.floor(seconds / cache_seconds) + 1)
        why = (
            f"WEB_CONCURRENCY {workers} × (⌊{seconds:.1f} s / HEALTH_CACHE_SECONDS "
            f"{cache_seconds:g} s⌋ + 1)"
        )
    else:
        bound, why = len(answers), "HEALTH_CACHE_SECONDS=0: one run per probe"
    return CheckResult(
        name="probes.check_runs",
        passed=bool(answers) and runs <= bound,
        measured=f"{runs} check runs (distinct report timestamps) for {len(answers)} probes",
        bound=f"≤ {bound} ({why})",
        detail="the probes ran the database checks more often than the health cache allows",
        value=float(runs),
    )
