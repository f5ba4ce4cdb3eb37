"""Bodies: the seed's JSON, and the IETF health-check draft format checked field by field."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from prodready.health.base import Measurement, Result, Status
from prodready.health.probe import Report
from prodready.health.render import (
    draining_response,
    ietf_body,
    liveness_response,
    report_response,
    seed_body,
)

OBSERVED = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
SECRET_DETAIL = "OperationalError: connection to server at db.internal failed for user admin"

# draft-inadarei-api-health-check-06, sections 3 and 4.
TOP_LEVEL_FIELDS = {
    "status", "version", "releaseId", "notes", "output", "checks", "links", "serviceId",
    "description",
}  # fmt: skip
CHECK_FIELDS = {
    "componentId", "componentType", "observedValue", "observedUnit", "status",
    "affectedEndpoints", "time", "output", "links",
}  # fmt: skip
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _result(name: str, status: Status, **fields: object) -> Result:
    values: dict[str, object] = {
        "name": name,
        "component_type": "datastore",
        "component_id": "default",
        "status": status,
        "seconds": 0.0123456,
        "observed_at": OBSERVED,
        **fields,
    }
    return Result(**values)  # type: ignore[arg-type]


POOL = (
    Measurement("poolSize", 2, "connections"),
    Measurement("poolAvailable", 1, "connections"),
    Measurement("requestsWaiting", 0, "requests"),
    Measurement("poolMax", 4, "connections"),
)


def _report(*results: Result, extras: dict[str, object] | None = None) -> Report:
    return Report(results=results, generated_at=OBSERVED, extras=extras or {})


def test_seed_body_has_status_timestamp_words_and_extras() -> None:
    report = _report(
        _result("database", "ok"), _result("cache", "warn", detail="slow"), extras={"items": 5}
    )
    assert seed_body(report, "readiness", detailed=False) == {
        "status": "ready",
        "timestamp": "2026-01-02T03:04:05.678Z",
        "checks": {"database": "ok", "cache": "warn"},
        "items": 5,
    }


@pytest.mark.parametrize("status", ["failed", "timeout"])
def test_seed_body_of_a_failure_says_only_a_word(status: Status) -> None:
    report = _report(_result("database", status, detail=SECRET_DETAIL))
    body = seed_body(report, "health", detailed=False)
    assert body["status"] == "unhealthy"
    assert body["checks"] == {"database": status}
    assert "db.internal" not in json.dumps(body)


def test_detailed_seed_body_adds_errors_timings_and_measurements() -> None:
    failed = _result("database", "failed", detail=SECRET_DETAIL)
    report = _report(failed, _result("pool", "ok", measurements=POOL))
    details = seed_body(report, "health", detailed=True)["details"]
    assert details == {
        "database": {"status": "failed", "ms": 12.346, "error": SECRET_DETAIL},
        "pool": {
            "status": "ok",
            "ms": 12.346,
            "observed": {"poolSize": 2, "poolAvailable": 1, "requestsWaiting": 0, "poolMax": 4},
        },
    }


def _assert_draft_shape(body: dict[str, object]) -> None:
    assert set(body) <= TOP_LEVEL_FIELDS
    assert body["status"] in ("pass", "warn", "fail")
    checks = body["checks"]
    assert isinstance(checks, dict)
    for key, entries in checks.items():
        assert re.fullmatch(r"[A-Za-z0-9_]+:[A-Za-z]+", key), key
        assert isinstance(entries, list)
        assert entries
        for entry in entries:
            assert set(entry) <= CHECK_FIELDS
            assert entry["status"] in ("pass", "warn", "fail")
            assert entry["componentType"] in ("component", "datastore", "system")
            assert RFC3339.match(entry["time"])
            assert isinstance(entry["observedValue"], int | float)


def test_health_json_field_by_field() -> None:
    report = _report(
        _result("database", "ok", measurements=POOL),
        _result("migrations", "ok", component_type="component"),
    )
    body = ietf_body(report, detailed=False)
    _assert_draft_shape(body)
    entry = {"componentId": "default", "componentType": "datastore", "status": "pass"}
    time = "2026-01-02T03:04:05.678Z"
    assert body == {
        "status": "pass",
        "checks": {
            "database:responseTime": [
                {**entry, "time": time, "observedValue": 12.346, "observedUnit": "ms"}
            ],
            "database:poolSize": [
                {**entry, "time": time, "observedValue": 2, "observedUnit": "connections"}
            ],
            "database:poolAvailable": [
                {**entry, "time": time, "observedValue": 1, "observedUnit": "connections"}
            ],
            "database:requestsWaiting": [
                {**entry, "time": time, "observedValue": 0, "observedUnit": "requests"}
            ],
            "database:poolMax": [
                {**entry, "time": time, "observedValue": 4, "observedUnit": "connections"}
            ],
            "migrations:responseTime": [
                {
                    **entry,
                    "componentType": "component",
                    "time": time,
                    "observedValue": 12.346,
                    "observedUnit": "ms",
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("statuses", "overall", "http"),
    [
        (["ok", "ok"], "pass", 200),
        (["ok", "warn"], "warn", 200),
        (["warn", "failed"], "fail", 503),
        (["ok", "timeout"], "fail", 503),
    ],
    ids=["pass", "warn", "failed", "timeout"],
)
def test_health_json_status_and_http_status(
    statuses: list[Status], overall: str, http: int
) -> None:
    report = _report(*(_result(f"c{i}", s, detail="x") for i, s in enumerate(statuses)))
    response = report_response(report, "health", health_json=True, detailed=False)
    body = json.loads(response.content)
    _assert_draft_shape(body)
    assert (body["status"], response.status_code) == (overall, http)
    assert response["Content-Type"] == "application/health+json"
    assert response["Cache-Control"] == "no-store"
    assert "output" not in json.dumps(body)


def test_health_json_output_only_for_the_token_and_only_when_not_passing() -> None:
    report = _report(_result("database", "failed", detail=SECRET_DETAIL), _result("cache", "ok"))
    body = ietf_body(report, detailed=True)
    assert body["checks"]["database:responseTime"][0]["output"] == SECRET_DETAIL
    assert "output" not in body["checks"]["cache:responseTime"][0]


def test_draining_and_liveness_bodies() -> None:
    draining = draining_response("readiness", health_json=False)
    assert draining.status_code == 503
    assert json.loads(draining.content)["status"] == "not_ready"
    assert json.loads(draining.content)["draining"] is True
    ietf = json.loads(draining_response("readiness", health_json=True).content)
    _assert_top_level_only(ietf)
    assert ietf == {"status": "fail", "notes": ["draining"]}
    alive = liveness_response(health_json=False)
    assert (alive.status_code, json.loads(alive.content)["status"]) == (200, "alive")
    assert json.loads(liveness_response(health_json=True).content) == {"status": "pass"}


def _assert_top_level_only(body: dict[str, object]) -> None:
    assert set(body) <= TOP_LEVEL_FIELDS
