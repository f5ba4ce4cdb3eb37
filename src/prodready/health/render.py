"""Turn a report into a response: the seed's JSON, or the IETF health-check draft format.

Public bodies hold status words, timings and counts only. Error and warning
texts (which may name hosts, users or exception classes) go to the log, and
to requests bearing ``HEALTH_TOKEN``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import JsonResponse

from prodready.health.base import Result, Status
from prodready.health.probe import Report
from prodready.health.runner import utc_now

Kind = Literal["health", "readiness"]
HEALTH_JSON = "application/health+json"
WORDS: dict[Kind, tuple[str, str]] = {
    "health": ("healthy", "unhealthy"),
    "readiness": ("ready", "not_ready"),
}
# draft-inadarei-api-health-check: pass, warn or fail.
IETF_STATUS: dict[Status, str] = {"ok": "pass", "warn": "warn", "failed": "fail", "timeout": "fail"}


def timestamp(moment: datetime) -> str:
    """Return ``moment`` (UTC) as RFC 3339 text with milliseconds, e.g. ``...T12:00:00.000Z``."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def respond(body: dict[str, Any], status: int, health_json: bool) -> JsonResponse:
    """Return ``body`` as JSON with ``status``; never cached by anyone on the way."""
    response = JsonResponse(
        body, status=status, content_type=HEALTH_JSON if health_json else "application/json"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if status >= 400:
        # Django logs every 5xx as an error: one line per probe during an
        # outage. The runner logs the outage once, with its cause, instead.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def report_response(
    report: Report, kind: Kind, *, health_json: bool, detailed: bool
) -> JsonResponse:
    """Return the answer of a ``health`` or ``readiness`` endpoint: 200, or 503 when failing."""
    body = ietf_body(report, detailed) if health_json else seed_body(report, kind, detailed)
    return respond(body, 200 if report.passing else 503, health_json)


def draining_response(kind: Kind, *, health_json: bool) -> JsonResponse:
    """Return the 503 of a process that is shutting down; no check has run."""
    if health_json:
        body: dict[str, Any] = {"status": "fail", "notes": ["draining"]}
    else:
        body = {
            "status": WORDS[kind][1],
            "timestamp": timestamp(utc_now()),
            "checks": {},
            "draining": True,
        }
    return respond(body, 503, health_json)


def liveness_response(*, health_json: bool) -> JsonResponse:
    """Return the answer of the liveness endpoint: always 200."""
    if health_json:
        return respond({"status": "pass"}, 200, health_json)
    return respond({"status": "alive", "timestamp": timestamp(utc_now())}, 200, health_json)


def seed_body(report: Report, kind: Kind, detailed: bool) -> dict[str, Any]:
    """Return ``{"status", "timestamp", "checks": {name: word}, **extras}``, plus details."""
    passing, failing = WORDS[kind]
    body: dict[str, Any] = {
        "status": passing if report.passing else failing,
        "timestamp": timestamp(report.generated_at),
        "checks": {result.name: result.status for result in report.results},
        **report.extras,
    }
    if detailed:
        body["details"] = {result.name: _details(result) for result in report.results}
    return body


def _details(result: Result) -> dict[str, Any]:
    details: dict[str, Any] = {"status": result.status, "ms": _ms(result.seconds)}
    if result.detail:
        details["error" if result.failing else "warning"] = result.detail
    if result.measurements:
        details["observed"] = {m.name: m.value for m in result.measurements}
    return details


def ietf_body(report: Report, detailed: bool) -> dict[str, Any]:
    """Return the body in draft-inadarei-api-health-check format.

    ``checks`` is keyed ``<check>:<measurement>``: every check has a
    ``responseTime`` in ms, plus what it measured (a native pool's size,
    available connections and waiting requests). ``output`` (the error text)
    is present only for requests bearing ``HEALTH_TOKEN``.
    """
    statuses = {IETF_STATUS[result.status] for result in report.results}
    overall = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    checks: dict[str, list[dict[str, Any]]] = {}
    for result in report.results:
        entry: dict[str, Any] = {
            "componentType": result.component_type,
            "status": IETF_STATUS[result.status],
            "time": timestamp(result.observed_at),
        }
        if result.component_id is not None:
            entry["componentId"] = result.component_id
        if detailed and result.detail and result.status != "ok":
            entry["output"] = result.detail
        checks[f"{result.name}:responseTime"] = [
            {**entry, "observedValue": _ms(result.seconds), "observedUnit": "ms"}
        ]
        for measurement in result.measurements:
            observed: dict[str, Any] = {**entry, "observedValue": measurement.value}
            if measurement.unit:
                observed["observedUnit"] = measurement.unit
            checks[f"{result.name}:{measurement.name}"] = [observed]
    return {"status": overall, "checks": checks}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
