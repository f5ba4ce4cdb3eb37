"""The comparison's chart: throughput per mode, and the backends each held over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from prodready_loadtest.compare import Comparison
from prodready_loadtest.sampler import read_samples

LABELS = {"pooling": "SELECT 1, no middleware", "reuse": "/api/items/, the whole demo"}
COLOURS = {"native": "#2a9d8f", "persistent": "#e76f51", "pgbouncer": "#457b9d", "off": "#8d99ae"}
# Each mode's line has its own dash and marker, and a small vertical offset,
# so two modes holding the same number of backends stay two lines.
STYLES = {"native": "-", "persistent": "-", "pgbouncer": "--", "off": "-."}
MARKERS = {"native": "o", "persistent": "s", "pgbouncer": "^", "off": "x"}
OFFSETS = {"native": 0.15, "pgbouncer": 0.05, "off": -0.05, "persistent": -0.15}
HATCHES = ("", "//")


def write_chart(comparison: Comparison, path: Path) -> None:
    """Draw req/s per mode (left) and backends over time in the reuse scenario (right)."""
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(12, 4.2), dpi=110, gridspec_kw={"width_ratios": [1, 1.25]}
    )
    rounds = draw_throughput(left, comparison)
    draw_backends(right, comparison, rounds)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def draw_throughput(axes: Axes, comparison: Comparison) -> int:
    """Draw a bar per mode and scenario (median, range of the rounds); return the rounds."""
    modes = list(comparison.results)
    results = [comparison.results[m] for m in modes]
    scenarios = [s for s in ("pooling", "reuse") if any(r.throughput(s) for r in results)]
    width = 0.8 / max(1, len(scenarios))
    rounds = 1
    highest = 0.0
    for index, scenario in enumerate(scenarios):
        rates = [r.throughput(scenario) or 0.0 for r in results]
        every = [[x.metric(scenario, "rps") or 0.0 for x in r.rounds] for r in results]
        rounds = max(len(values) for values in every) if every else 1
        below = [rate - min(values) for rate, values in zip(rates, every, strict=True)]
        above = [max(values) - rate for rate, values in zip(rates, every, strict=True)]
        offset = (index - (len(scenarios) - 1) / 2) * width
        bars = axes.bar(
            [i + offset for i in range(len(modes))],
            rates,
            width=width,
            color=[COLOURS.get(m, "grey") for m in modes],
            alpha=1.0 if index == 0 else 0.55,
            hatch=HATCHES[index % 2],
            edgecolor="black" if index else None,
            yerr=[below, above] if rounds > 1 else None,
            capsize=3,
        )
        for bar, rate, extra in zip(bars, rates, above, strict=True):
            # The label sits above the error bar's cap, not on the bar it would cross.
            top = rate + (extra if rounds > 1 else 0.0)
            highest = max(highest, top)
            axes.annotate(
                f"{rate:.0f}",
                (bar.get_x() + bar.get_width() / 2, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )
    axes.set_xticks(range(len(modes)), modes)
    axes.set_title(
        "Throughput per mode, steady state"
        + (f"\n(median and range of {rounds} rounds)" if rounds > 1 else ""),
        fontsize=10,
    )
    axes.set_ylabel("requests per second")
    # Room above the tallest label for the legend's one row.
    axes.set_ylim(0, max(highest, 1.0) * 1.3)
    if len(scenarios) > 1:
        # Swatches in no mode's colour: the scenarios differ by fill, not by colour.
        handles = [
            Patch(
                facecolor="#d9d9d9" if index == 0 else "white",
                edgecolor="black",
                hatch=HATCHES[index % 2],
                label=LABELS[scenario],
            )
            for index, scenario in enumerate(scenarios)
        ]
        axes.legend(handles=handles, fontsize=8, loc="upper center", ncol=len(handles))
    return rounds


def draw_backends(axes: Axes, comparison: Comparison, rounds: int) -> None:
    """Draw each mode's client backends over the reuse scenario, after the warm-up."""
    options = comparison.options
    bound = options.workers * options.pool_max
    end = 0.0
    for position, mode in enumerate(comparison.results):
        run = comparison.results[mode].runs.get("reuse")
        samples = read_samples(run.directory / "samples.jsonl") if run else []
        mark = next((s for s in samples if s.kind == "mark"), None)
        if mark is None:
            continue
        # From the end of the warm-up; the last sample is taken after the load stopped.
        shown = [s for s in samples if s.kind == "sample" and s.at >= mark.at]
        if not shown:
            continue
        times = [s.at - mark.at for s in shown]
        end = max(end, times[-1])
        offset = OFFSETS.get(mode, 0.0)
        axes.plot(
            times,
            [len(s.backends) + offset for s in shown],
            label=mode,
            color=COLOURS.get(mode, "grey"),
            linestyle=STYLES.get(mode, "-"),
            linewidth=1.6,
            marker=MARKERS.get(mode, "."),
            markersize=4,
            markevery=(position % 4, 4),  # markers staggered, so they do not hide each other
            drawstyle="steps-post",
        )
    limit = options.connection_limit
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}
    lines = (
        (bound, f"bound: WEB_CONCURRENCY × DB_POOL_MAX_SIZE = {bound}", "black", 8),
        (limit, f"the run's role connection limit ({limit})", "#e76f51", 4),
    )
    for value, label, colour, lift in lines:
        axes.axhline(value, linestyle=":", color=colour, linewidth=0.8)
        # Each label sits above its line, clear of the modes' lines below it.
        axes.annotate(
            label,
            (0, value),
            xytext=(4, lift),
            textcoords="offset points",
            fontsize=8,
            color=colour,
            bbox=box,
            zorder=5,
        )
    axes.set_title(
        "App backends on PostgreSQL, sampled every 0.5 s"
        + (" (last round)" if rounds > 1 else "")
        + "\n(equal counts drawn up to 0.3 apart)",
        fontsize=10,
    )
    axes.set_xlabel("seconds after the warm-up")
    axes.set_ylabel("client backends")
    axes.set_xlim(0, max(end, 1.0))
    axes.set_ylim(0, limit + 5)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
