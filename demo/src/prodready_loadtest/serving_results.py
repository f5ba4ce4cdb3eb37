"""The serving comparison's results: servers, apps, measurements, and the figures drawn from them.

Each measurement is one wrk run against a freshly started server; rounds
interleave the servers, so that ratios are taken between measurements
minutes apart at most, and the median over rounds is reported.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from prodready_loadtest.compare import Target, spread
from prodready_loadtest.environment import Machine
from prodready_loadtest.scenarios import POOLING_SETTINGS, SELECT_ONE_PATH
from prodready_loadtest.wrk import WrkResult

Figure = Literal["rps", "p99_ms"]


@dataclass(frozen=True, slots=True)
class Server:
    """A way of serving the demo: its name in the results, and how it is run."""

    name: str
    label: str
    how: str  # the command line, as the report shows it


@dataclass(frozen=True, slots=True)
class App:
    """An app the servers serve: the settings they load and the path wrk asks for."""

    name: str
    path: str
    settings: str
    what: str


SERVERS: tuple[Server, ...] = (
    Server(
        "prodready",
        "prodready ASGI (uvicorn)",
        "uvicorn demo.asgi:application --lifespan on --no-proxy-headers --no-access-log",
    ),
    Server(
        "gunicorn",
        "gunicorn gthread (WSGI)",
        "gunicorn demo.wsgi:application --worker-class gthread --threads DB_POOL_MAX_SIZE",
    ),
    Server(
        "django",
        "Django ASGI (uvicorn)",
        "uvicorn demo.plain_asgi:application --lifespan off --no-proxy-headers --no-access-log",
    ),
)
APPS: tuple[App, ...] = (
    App(
        "items",
        "/api/items/",
        "demo.settings",
        "the demo's catalogue: its middleware chain, a rate limit counted in Redis, two "
        "queries and a 50-row JSON page",
    ),
    App(
        "select1",
        SELECT_ONE_PATH,
        POOLING_SETTINGS,
        "one SELECT 1 on an app without middleware: the server and handler, with the "
        "rest of a request taken away",
    ),
    App(
        "count",
        "/api/items/count/",
        "demo.settings",
        "the demo's async view (the ORM's async API, one COUNT): Django's async path "
        "under both ASGI handlers, prodready's on threads lent per request",
    ),
)
SERVER_NAMES = tuple(s.name for s in SERVERS)
# prodready against each peer: (app, peer, figure, bound, at least?).
TARGETS: tuple[tuple[str, str, Figure, float, bool], ...] = (
    ("items", "gunicorn", "rps", 1.0, True),
    ("items", "django", "rps", 2.0, True),
    ("items", "gunicorn", "p99_ms", 1.0, False),
    ("count", "django", "rps", 1.0, True),
)


def server(name: str) -> Server:
    """Return the server called ``name``."""
    return next(s for s in SERVERS if s.name == name)


def app(name: str) -> App:
    """Return the app called ``name``."""
    return next(a for a in APPS if a.name == name)


@dataclass(frozen=True, slots=True)
class ServingOptions:
    """How the comparison runs: rounds, workers per server, and wrk's load."""

    rounds: int = 3
    workers: int = 1
    duration: float = 10.0
    connections: int = 16
    threads: int = 2  # wrk's
    warmup: float = 2.0
    pool_size: int = 4  # DB_POOL_MIN_SIZE and DB_POOL_MAX_SIZE; gunicorn's threads
    items: int = 2000
    rules: str = "GET /api/ 1000000000/h ip"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One server serving one app in one round: what wrk measured, or why nothing was."""

    round: int
    app: str
    server: str
    result: WrkResult | None = None
    error: str | None = None

    @property
    def counts(self) -> bool:
        """Tell whether the figures count: the run completed and no request failed.

        A failed request is often a fast one (a 500, a refused connection), so
        a run with failures would flatter its server's throughput.
        """
        return self.result is not None and self.error is None and self.result.errors == 0


@dataclass(slots=True)
class ServingRun:
    """Everything the report shows: options, machine, and every measurement so far."""

    options: ServingOptions
    command: str
    machine: Machine
    wrk_version: str
    measurements: list[Measurement] = field(default_factory=list)
    load_after: tuple[float, float, float] | None = None

    def by_round(self, app: str, server: str, figure: Figure) -> dict[int, float]:
        """Return ``server``'s ``figure`` on ``app`` in each round where it counts."""
        return {
            m.round: getattr(m.result, figure)
            for m in self.measurements
            if m.app == app and m.server == server and m.counts
        }

    def median(self, app: str, server: str, figure: Figure) -> float | None:
        """Return the median of ``figure`` over the rounds, or None if none counts."""
        values = list(self.by_round(app, server, figure).values())
        return statistics.median(values) if values else None

    def ratios(self, app: str, server: str, other: str, figure: Figure = "rps") -> list[float]:
        """Return ``server``'s ``figure`` over ``other``'s, within each round both count."""
        mine, theirs = self.by_round(app, server, figure), self.by_round(app, other, figure)
        return [mine[r] / theirs[r] for r in sorted(mine) if theirs.get(r)]

    def failed(self) -> list[Measurement]:
        """Return the measurements that do not count (did not run, or had failed requests)."""
        return [m for m in self.measurements if not m.counts]


def ratio_text(values: Sequence[float]) -> str:
    """Return ``1.23×``, or with its range over rounds; ``-`` when there is none."""
    return spread(values) if values else "-"


def figure_text(value: float | None, figure: Figure) -> str:
    """Return req/s as a whole number and p99 in ms to a tenth; ``-`` for None."""
    if value is None:
        return "-"
    return f"{value:.0f}" if figure == "rps" else f"{value:.1f}"


def targets(run: ServingRun) -> list[Target]:
    """Hold prodready to its targets (those with figures)."""
    found = []
    for name, peer, figure, bound, at_least in TARGETS:
        items = app(name)
        values = run.ratios(items.name, "prodready", peer, figure)
        if not values:
            continue
        what, unit = ("req/s", "req/s") if figure == "rps" else ("p99", "ms")
        mine = figure_text(run.median(items.name, "prodready", figure), figure)
        theirs = figure_text(run.median(items.name, peer, figure), figure)
        middle = statistics.median(values)
        found.append(
            Target(
                f"prodready {what} / {server(peer).label} {what}, GET {items.path}",
                f"{ratio_text(values)}; {mine} / {theirs} {unit}",
                f"{'≥' if at_least else '≤'} {bound:g}×",
                middle >= bound if at_least else middle <= bound,
            )
        )
    return found
