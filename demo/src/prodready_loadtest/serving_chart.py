"""The serving comparison's chart: req/s and p99 per server and app, median and range."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from prodready_loadtest.serving_results import APPS, SERVERS, Figure, ServingRun, figure_text

COLOURS = {"prodready": "#2a9d8f", "gunicorn": "#e9c46a", "django": "#8d99ae"}
TITLES: dict[Figure, str] = {
    "rps": "Throughput, req/s (higher is better)",
    "p99_ms": "p99 latency, ms (lower is better)",
}


def _panel(axes: Axes, run: ServingRun, figure: Figure) -> None:
    width = 0.8 / len(SERVERS)
    top = 0.0
    for index, entry in enumerate(SERVERS):
        xs, medians, below, above, highs = [], [], [], [], []
        for position, app in enumerate(APPS):
            values = list(run.by_round(app.name, entry.name, figure).values())
            median = run.median(app.name, entry.name, figure)
            if median is None:
                continue
            xs.append(position + (index - (len(SERVERS) - 1) / 2) * width)
            medians.append(median)
            below.append(median - min(values))
            above.append(max(values) - median)
            highs.append(max(values))
        bars = axes.bar(
            xs,
            medians,
            width=width * 0.92,
            color=COLOURS[entry.name],
            edgecolor="black",
            linewidth=0.5,
            label=entry.label,
        )
        axes.errorbar(
            xs, medians, yerr=[below, above], fmt="none", ecolor="black", capsize=4, linewidth=1
        )
        # Above the error bar's cap, so that the label never sits on it.
        for bar, median, high in zip(bars, medians, highs, strict=True):
            axes.annotate(
                figure_text(median, figure),
                (bar.get_x() + bar.get_width() / 2, high),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
            )
        top = max([top, *highs])
    axes.set_xticks(range(len(APPS)), [f"GET {a.path}" for a in APPS])
    axes.set_title(TITLES[figure], fontsize=10)
    axes.set_ylim(0, top * 1.18 if top else 1)
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    axes.set_axisbelow(True)


def write_serving_chart(run: ServingRun, path: Path) -> None:
    """Draw req/s (left) and p99 (right) per app, a bar per server, and save it to ``path``."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=110)
    _panel(left, run, "rps")
    _panel(right, run, "p99_ms")
    rounds = max((m.round for m in run.measurements), default=1)
    handles, labels = left.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=len(SERVERS), fontsize=9, frameon=False)
    figure.suptitle(
        f"Serving the demo: {run.options.workers} worker(s) each, wrk "
        f"-c{run.options.connections}; bars are medians, whiskers the range over {rounds} "
        "round(s)",
        fontsize=10,
    )
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
