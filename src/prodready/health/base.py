"""What a health check is, what it can observe, and what came of running it."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["ok", "warn", "failed", "timeout"]
FAILING: frozenset[Status] = frozenset({"failed", "timeout"})


class CheckWarning(Exception):
    """Raise from ``run()``: the dependency works but is degraded (status ``warn``).

    A warning never fails a health or readiness answer. The message goes to
    the log and to requests bearing ``HEALTH_TOKEN``, never to public bodies.
    """


class CheckFailed(Exception):
    """Raise from ``run()``: the dependency is not usable (status ``failed``).

    The message is logged without a traceback; any other exception fails the
    check too, and is logged with its traceback.
    """


@dataclass(frozen=True, slots=True)
class Measurement:
    """One value a check observed, e.g. ``Measurement("poolAvailable", 3, "connections")``.

    In ``application/health+json`` it becomes the entry ``<check>:<name>``.
    """

    name: str
    value: float
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """What a successful ``run()`` may return: measurements, and a warning if degraded."""

    measurements: tuple[Measurement, ...] = ()
    warning: str | None = None
    value: object = None
    """A JSON value for the body (used by readiness extras)."""


class Check:
    """A dependency check: subclass it, name it, implement ``run()``.

    ``run()`` is a plain method (it runs in a thread of the check's own, so it
    may block) or a coroutine function (it runs on the event loop and is
    cancelled at the deadline). It returns ``None`` or an :class:`Observation`
    when the dependency works, raises :class:`CheckWarning` when it is
    degraded, and raises anything else when it is not usable.

    Attributes:
        name: The key of the check in bodies: letters, digits and ``_``.
        component_type: ``component``, ``datastore`` or ``system`` (health+json).
        component_id: Which instance of the component, e.g. a database alias.
            Never put a host name or a URL here: it is shown publicly.
    """

    name: str = "check"
    component_type: str = "component"
    component_id: str | None = None

    def run(self) -> Observation | Awaitable[Observation | None] | None:
        """Check the dependency once; see the class docstring for the contract."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Result:
    """What came of running one check: its status, timing and measurements.

    ``detail`` holds the error or warning text: it is logged and shown only to
    requests bearing ``HEALTH_TOKEN``.
    """

    name: str
    component_type: str
    component_id: str | None
    status: Status
    seconds: float
    observed_at: datetime
    measurements: tuple[Measurement, ...] = ()
    detail: str | None = None
    value: object = None

    @property
    def failing(self) -> bool:
        """Tell whether this result fails the answer (``failed`` or ``timeout``)."""
        return self.status in FAILING
