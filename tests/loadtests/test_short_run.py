"""The CI version of the load tests: every scenario, a few seconds each, on a healthy set-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loadtests.runs import checks, prodready_loadtest

pytestmark = pytest.mark.integration

EXPECTED = {
    "pooling.errors",
    "reuse.max_backends",
    "reuse.connections_opened",
    "reuse.errors",
    "probes.status",
    "probes.latency",
    "probes.check_runs",
    "ratelimit.ip_onset",
    "ratelimit.user_quota",
    "ratelimit.ingest_onset",
    "ratelimit.retry_after",
    "ratelimit.statuses",
}


def test_the_healthy_demo_passes_every_check(tmp_path: Path) -> None:
    result = prodready_loadtest("--short", reports=tmp_path)
    found = checks(result.stdout)

    assert result.returncode == 0, result.stdout + result.stderr
    assert set(found) == EXPECTED
    assert all(check.passed for check in found.values())
    assert found["reuse.connections_opened"].measured.startswith("0 sessions opened")
    assert "first 429 at request 301" in found["ratelimit.ip_onset"].measured
    assert "first 429 at request 101 of each token" in found["ratelimit.ingest_onset"].measured
    # Locust's reports are kept.
    assert list(tmp_path.glob("*-native/reuse/report.html"))
    assert list(tmp_path.glob("*-native/reuse/locust_stats.csv"))
    # The pooling scenario ran on its own app: one SELECT 1 per request, no middleware.
    (pooling_stats,) = tmp_path.glob("*-native/pooling/locust_stats.csv")
    assert "/loadtest/select1/" in pooling_stats.read_text(encoding="utf-8")
