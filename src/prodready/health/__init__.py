"""Health, readiness and liveness endpoints with checks that answer within a deadline."""

from __future__ import annotations

from prodready.health.base import (
    Check,
    CheckFailed,
    CheckWarning,
    Measurement,
    Observation,
    Result,
    Status,
)
from prodready.health.checks import (
    CacheCheck,
    DatabaseCheck,
    MigrationsCheck,
    RedisCheck,
    RQWorkerCheck,
    default_checks,
    readiness_defaults,
)
from prodready.health.middleware import ProbeMiddleware
from prodready.health.probe import Probe, Report
from prodready.health.views import health_urls

__all__ = [
    "CacheCheck",
    "Check",
    "CheckFailed",
    "CheckWarning",
    "DatabaseCheck",
    "Measurement",
    "MigrationsCheck",
    "Observation",
    "Probe",
    "ProbeMiddleware",
    "RQWorkerCheck",
    "RedisCheck",
    "Report",
    "Result",
    "Status",
    "default_checks",
    "health_urls",
    "readiness_defaults",
]
