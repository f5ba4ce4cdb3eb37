"""Judge connection reuse from the server's side: backends at most, sessions opened after warm-up.

Both figures come from PostgreSQL, never from the app: the largest number of
client backends on the app's database in any sample, and the sessions opened
after the warm-up mark, counted twice: by ``pg_stat_database.sessions`` (every
session, however short) and by the backends seen with a ``backend_start``
after the mark (what the issue asks for; short sessions fall between samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.sampler import Sample


@dataclass(frozen=True, slots=True)
class ConnectionFigures:
    """What the samples of one run show."""

    samples: int
    max_backends: int
    opened_after_warmup: int | None  # None: no warm-up mark, or no sample after it
    new_backends_seen: int | None
    sessions_opened: int | None


def connection_figures(samples: Sequence[Sample]) -> ConnectionFigures:
    """Compute the figures from samples in the order the sampler wrote them."""
    mark = next((s for s in samples if s.kind == "mark"), None)
    after = [s for s in samples if mark is not None and s.at > mark.at]
    new_backends = sessions = None
    if mark is not None and after:
        seen = {b for s in after for b in s.backends if b[1] > mark.at}
        new_backends = len(seen)
        sessions = max(s.sessions for s in after) - mark.sessions
    opened = None if sessions is None or new_backends is None else max(sessions, new_backends)
    return ConnectionFigures(
        samples=len(samples),
        max_backends=max((len(s.backends) for s in samples), default=0),
        opened_after_warmup=opened,
        new_backends_seen=new_backends,
        sessions_opened=sessions,
    )


EXCESS_CAUSES = {
    "off": "each request in flight holds a connection of its own (DB_POOL_MODE=off)",
    "persistent": "under ASGI each request runs in a thread of its own, which keeps its "
    "persistent connection open (prodready.E001)",
}


def max_backends_check(found: ConnectionFigures, bound: int, why: str, mode: str) -> CheckResult:
    """The app's backends never exceed ``bound`` in any sample."""
    passed = found.samples > 0 and found.max_backends <= bound
    cause = EXCESS_CAUSES.get(mode, "connections are opened outside the pool")
    detail = (
        "the sampler took no sample (see sampler.log)"
        if not found.samples
        else f"{found.max_backends - bound} more backends than the bound: {cause}"
    )
    return CheckResult(
        name="reuse.max_backends",
        passed=passed,
        measured=f"{found.max_backends} backends at most in {found.samples} samples",
        bound=f"≤ {bound} ({why})",
        detail=detail,
        value=float(found.max_backends),
    )


def opened_check(found: ConnectionFigures, bound: int, why: str, mode: str) -> CheckResult:
    """Sessions opened on the server after the warm-up are at most ``bound``."""
    opened = found.opened_after_warmup
    passed = opened is not None and opened <= bound
    if opened is None:
        detail = "no sample after the warm-up mark; run longer than the warm-up"
    elif mode == "off":
        detail = "DB_POOL_MODE=off opens a connection for every request; use native"
    else:
        detail = (
            f"{opened} new sessions after the warm-up: the app does not reuse its connections "
            f"in {mode} mode"
        )
    return CheckResult(
        name="reuse.connections_opened",
        passed=passed,
        measured=f"{opened} sessions opened after warm-up "
        f"(pg_stat_database: {found.sessions_opened}, new backends seen: "
        f"{found.new_backends_seen})",
        bound=f"≤ {bound} ({why})" if bound else f"= 0 ({why})",
        detail=detail,
        value=None if opened is None else float(opened),
    )
