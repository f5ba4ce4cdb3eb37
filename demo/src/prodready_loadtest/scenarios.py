"""The scenarios of ``loadtests/`` and the pool modes, as ``prodready loadtest`` names them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PoolMode = Literal["native", "persistent", "pgbouncer", "off"]
MODES: tuple[PoolMode, ...] = ("native", "persistent", "pgbouncer", "off")
# The demo's own rules (config_profiles/*.env).
DEMO_RULES = "POST /api/ingest/ 100/h user_or_ip; GET /api/ 1000/h ip"
# Reads under a limit no run reaches: the limiter still makes its Redis round
# trip on every request, as in production, but never refuses one.
LOAD_RULES = "POST /api/ingest/ 100/h user_or_ip; GET /api/ 1000000/h ip"
# persistent mode is refused under ASGI (prodready.E001); it is measured anyway.
SETTINGS = dict.fromkeys(MODES, "demo.settings") | {
    "persistent": "prodready_loadtest.persistent_settings"
}
# The pooling scenario's app: the demo's DATABASES, no middleware, a SELECT 1 view.
POOLING_SETTINGS = "prodready_loadtest.pooling_settings"
# Its SELECT 1 view (prodready_loadtest.pooling_urls), named here for clients that import no Django.
SELECT_ONE_PATH = "/loadtest/select1/"
# A scenario that stops by itself once its work is done gets at most this long.
FINITE_SCENARIO_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A scenario of ``loadtests/``: its user classes and the rules the demo runs with."""

    name: str
    user_classes: tuple[str, ...]
    rules: str | None  # None: the rules of --rules
    finite: bool = False  # stops by itself when its work is done
    description: str = ""
    settings: str | None = None  # DJANGO_SETTINGS_MODULE; None: the demo's for the mode


SCENARIOS: dict[str, ScenarioSpec] = {
    "pooling": ScenarioSpec(
        "pooling",
        ("SelectOneReader",),
        None,
        description="one SELECT 1 per request on an app without middleware (the demo's "
        "DATABASES): what getting a connection costs, with the rest of a request taken away",
        settings=POOLING_SETTINGS,
    ),
    "reuse": ScenarioSpec(
        "reuse",
        ("ItemsReader",),
        LOAD_RULES,
        description="catalogue reads while PostgreSQL is sampled every 0.5 s",
    ),
    "probes": ScenarioSpec(
        "probes",
        ("ReadinessProber", "ProbeLoadReader"),
        LOAD_RULES,
        description="readiness probes at a high rate (1 user in 4, 20/s each) during catalogue "
        "reads",
    ),
    "ratelimit": ScenarioSpec(
        "ratelimit",
        ("AnonymousOverLimit", "TokenOverQuota"),
        None,
        finite=True,
        description="one address (GET /api/items/) and 3 API tokens (POST /api/ingest/, one "
        "user each, sequential) driven 10 % past their limits",
    ),
}
