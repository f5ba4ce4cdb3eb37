"""The comparison's chart: throughput per mode, and the backends each held over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display

import matplotlib.pyplot as plt

from prodready_loadtest.compare import Comparison
from prodready_loadtest.sampler import read_samples

STYLES = {"pgbouncer": "--", "off": "-."}
LABELS = {"pooling": "SELECT 1, no middleware", "reuse": "/api/items/, the whole demo"}
COLOURS = {"native": "#2a9d8f", "persistent": "#e76f51", "pgbouncer": "#457b9d", "off": "#8d99ae"}


def write_chart(comparison: Comparison, path: Path) -> None:
    """Draw req/s per mode (left) and backends over time in the reuse scenario (right)."""
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(12, 4.2), dpi=110, gridspec_kw={"width_ratios": [1, 1.25]}
    )
    modes = list(comparison.results)
    results = [comparison.results[m] for m in modes]
    scenarios = [s for s in ("pooling", "reuse") if any(r.throughput(s) for r in results)]
    width = 0.8 / max(1, len(scenarios))
    rounds = 1
    for index, scenario in enumerate(scenarios):
        rates = [r.throughput(scenario) or 0.0 for r in results]
        every = [[x.metric(scenario, "rps") or 0.0 for x in r.rounds] for r in results]
        rounds = max(len(values) for values in every) if every else 1
        spans = [
            [rate - min(values) for rate, values in zip(rates, every, strict=True)],
            [max(values) - rate for rate, values in zip(rates, every, strict=True)],
        ]
        offset = (index - (len(scenarios) - 1) / 2) * width
        bars = left.bar(
            [i + offset for i in range(len(modes))],
            rates,
            width=width,
            color=[COLOURS.get(m, "grey") for m in modes],
            alpha=1.0 if index == 0 else 0.55,
            hatch="" if index == 0 else "//",
            yerr=spans if rounds > 1 else None,
            capsize=3,
            label=LABELS[scenario],
        )
        for bar, rate in zip(bars, rates, strict=True):
            left.annotate(
                f"{rate:.0f}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )
    left.set_xticks(range(len(modes)), modes)
    left.set_title(
        "Throughput per mode, steady state"
        + (f"\n(median and range of {rounds} rounds)" if rounds > 1 else ""),
        fontsize=10,
    )
    left.set_ylabel("requests per second")
    left.margins(y=0.15)
    if len(scenarios) > 1:
        left.legend(fontsize=8)

    options = comparison.options
    bound = options.workers * options.pool_max
    for mode in modes:
        run = comparison.results[mode].runs.get("reuse")
        samples = read_samples(run.directory / "samples.jsonl") if run else []
        mark = next((s for s in samples if s.kind == "mark"), None)
        # The last sample is taken after the load stopped: not part of the picture.
        shown = [s for s in samples if s.kind != "final"]
        if mark is None or not shown:
            continue
        right.plot(
            [s.at - mark.at for s in shown],
            [len(s.backends) for s in shown],
            label=mode,
            color=COLOURS.get(mode, "grey"),
            linestyle=STYLES.get(mode, "-"),
            linewidth=2.2 if mode == "native" else 1.4,
            drawstyle="steps-post",
        )
    right.axvline(0, color="grey", linewidth=0.6)
    right.axhline(bound, linestyle=":", color="black", linewidth=0.8)
    right.annotate(
        f"bound: WEB_CONCURRENCY × DB_POOL_MAX_SIZE = {bound}",
        (0, bound),
        xytext=(4, 3),
        textcoords="offset points",
        fontsize=8,
    )
    right.axhline(options.connection_limit, linestyle=":", color="#e76f51", linewidth=0.8)
    right.annotate(
        f"the run's role connection limit ({options.connection_limit})",
        (0, options.connection_limit),
        xytext=(4, -10),
        textcoords="offset points",
        fontsize=8,
        color="#e76f51",
    )
    right.set_title(
        "App backends on PostgreSQL, sampled every 0.5 s" + (" (last round)" if rounds > 1 else "")
    )
    right.set_xlabel("seconds after the warm-up (negative: warm-up)")
    right.set_ylabel("client backends")
    right.set_ylim(0, options.connection_limit + 4)
    right.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
