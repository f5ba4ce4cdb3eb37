"""The table printed after a benchmark run: overhead over each baseline, and the targets.

A run measures every variant in several passes (all variants, then all again);
overheads and ratios are computed within a pass, where the machine's load is
most alike, and the table shows their median over the passes.
"""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from importlib import metadata

from tests.benchmarks.variants import VARIANTS, Variant


@dataclass(frozen=True, slots=True)
class Measurement:
    """Seconds per request of one variant in one pass, and its Redis commands per request."""

    variant: Variant
    median: float
    mean: float
    iqr: float
    requests: int
    commands: tuple[str, ...] | None = None


# Filled by the benchmarks as they run, keyed by (variant id, pass); read by the summary.
RESULTS: dict[tuple[str, int], Measurement] = {}

_PACKAGES = ("django", "redis", "django-ratelimit", "djangorestframework", "limits", "django-redis")


def _passes() -> list[int]:
    return sorted({run for _, run in RESULTS})


def _runs(variant_id: str) -> list[Measurement]:
    return [RESULTS[variant_id, run] for run in _passes() if (variant_id, run) in RESULTS]


def _overhead_in(variant_id: str, run: int) -> float | None:
    result = RESULTS.get((variant_id, run))
    if result is None or result.variant.baseline is None:
        return None
    baseline = RESULTS.get((result.variant.baseline, run))
    return None if baseline is None else result.median - baseline.median


def _ratios(variant_id: str, reference_id: str) -> list[float]:
    """Overhead of a variant over the overhead of a reference, one value per pass."""
    values = []
    for run in _passes():
        mine, theirs = _overhead_in(variant_id, run), _overhead_in(reference_id, run)
        if mine is not None and theirs is not None and theirs > 0:
            values.append(mine / theirs)
    return values


def overhead(variant_id: str) -> float | None:
    """Median over the passes of the seconds a variant adds over its baseline."""
    values = [_overhead_in(variant_id, run) for run in _passes()]
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def ratio(variant_id: str, reference_id: str) -> float | None:
    """Median over the passes of the overhead ratio; ``None`` when not measured."""
    values = _ratios(variant_id, reference_id)
    return statistics.median(values) if values else None


def _us(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1e6:.1f}"


def _times(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}×"


def _commands(commands: tuple[str, ...] | None) -> str:
    if commands is None:
        return ""
    return f"{len(commands)} ({', '.join(commands)})" if commands else "0"


def _reference(variant: Variant) -> str | None:
    if not variant.limiter or variant.id.startswith("limits-"):
        return None
    return "limits-redis" if variant.store == "redis" else "limits-memory"


def _row(variant: Variant, runs: list[Measurement]) -> str:
    floor = ratio(variant.id, "ping-floor") if variant.store == "redis" else None
    reference = _reference(variant)
    cells = [
        variant.id,
        _us(statistics.median(r.median for r in runs)),
        _us(statistics.median(r.mean for r in runs)),
        _us(statistics.median(r.iqr for r in runs)),
        variant.baseline or "",
        _us(overhead(variant.id)),
        _times(floor) if variant.id != "ping-floor" else "",
        _times(ratio(variant.id, reference)) if reference else "",
        _commands(next((r.commands for r in runs if r.commands is not None), None)),
    ]
    return "| " + " | ".join(cells) + " |"


# (description, variant, reference, the largest ratio that meets the target, strict)
TARGETS = (
    ("Redis: within 1.15× of the one-PING floor", "prodready-redis", "ping-floor", 1.15, False),
    ("Redis: below `limits` (Redis)", "prodready-redis", "limits-redis", 1.0, True),
    ("local memory: at most `limits` (memory)", "prodready-locmem", "limits-memory", 1.0, False),
    (
        "local memory: at most ¼ of django-ratelimit (locmem)",
        "prodready-locmem",
        "django-ratelimit-locmem",
        0.25,
        False,
    ),
)


def _target_row(description: str, mine: str, reference: str, limit: float, strict: bool) -> str:
    values = _ratios(mine, reference)
    if not values:
        value, spread, verdict = "", "", "not measured"
    else:
        middle = statistics.median(values)
        value, spread = _times(middle), f"{min(values):.2f} to {max(values):.2f}"
        verdict = "met" if (middle < limit if strict else middle <= limit) else "NOT met"
    wanted = f"{'<' if strict else '≤'} {limit:g}"
    cells = [description, f"{mine} / {reference}", value, spread, wanted, verdict]
    return "| " + " | ".join(cells) + " |"


def environment() -> str:
    """One line naming the machine and the versions measured."""
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in _PACKAGES)
    return (
        f"Python {platform.python_version()}, {versions}; "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )


def render() -> str:
    """Return the summary as Markdown: the table, then the targets."""
    measured = [(v, runs) for v in VARIANTS if (runs := _runs(v.id))]
    requests = sorted({sum(r.requests for r in runs) for _, runs in measured})
    lines = [
        environment(),
        f"{len(_passes())} passes; requests timed per variant: "
        f"{', '.join(str(n) for n in requests)}. Times are per request through Django's "
        "WSGI handler: median over the passes of each pass's median (and mean, IQR); "
        "overheads and ratios are taken within each pass, then their median.",
        "",
        "| variant | median µs | mean µs | IQR µs | baseline | overhead µs "
        "| × ping floor | × `limits` | Redis commands / request |",
        "|---|--:|--:|--:|---|--:|--:|--:|---|",
        *(_row(variant, runs) for variant, runs in measured),
        "",
        "| target | overheads compared | ratio | range over passes | wanted | verdict |",
        "|---|---|--:|--:|--:|---|",
        *(_target_row(*target) for target in TARGETS),
    ]
    return "\n".join(lines) + "\n"
