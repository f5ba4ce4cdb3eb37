"""Probe storm: readiness probes at a high rate while the catalogue is read under load.

Checks:

- ``probes.status``: every readiness answer is 200 or 503;
- ``probes.latency``: every answer arrives within ``HEALTH_TIMEOUT``;
- ``probes.check_runs``: the checks behind the answers (each a database
  query) ran at most once per ``HEALTH_CACHE_SECONDS`` per worker process,
  counted by the distinct report timestamps the answers carry.

One user in four probes, ``LOADTEST_PROBE_RATE`` times a second each
(default 20); the others read the catalogue back to back.

    locust -f loadtests --headless -u 20 -r 20 -t 30s --host http://127.0.0.1:8000 --tags probes
"""

from __future__ import annotations

import os
import time

from _common import EXPECT, Scenario, register
from _users import ItemsReaderBase
from locust import FastHttpUser, constant_throughput, tag, task
from locust.env import Environment

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.probe_checks import (
    ProbeAnswer,
    check_runs_check,
    latency_check,
    status_check,
)

READINESS = "/api/readiness/"
PROBE_RATE = float(os.environ.get("LOADTEST_PROBE_RATE", "20"))
_answers: list[ProbeAnswer] = []
_span: list[float] = []


class ReadinessProber(FastHttpUser):
    """Probe readiness ``LOADTEST_PROBE_RATE`` times a second, as a kubelet gone wild would."""

    weight = 1
    wait_time = constant_throughput(PROBE_RATE)

    @tag("probes")
    @task
    def readiness(self) -> None:
        """Probe once; 200 and 503 are both answers, anything else is a failure."""
        sent = time.time()
        with self.client.get(READINESS, catch_response=True) as answer:
            seconds = time.time() - sent
            stamp = None
            if answer.status_code in (200, 503):
                answer.success()
                try:
                    stamp = str(answer.json().get("timestamp") or "") or None
                except ValueError:
                    answer.failure("the body is not JSON")
            else:
                answer.failure(f"status {answer.status_code}")
        _answers.append(ProbeAnswer(status=answer.status_code, seconds=seconds, timestamp=stamp))
        _span[:] = [_span[0] if _span else sent, time.time()]


class ProbeLoadReader(ItemsReaderBase):
    """The load the probes run under: catalogue pages, back to back."""

    weight = 3

    @tag("probes")
    @task
    def items(self) -> None:
        """Read a page."""
        self.read_page()


def _start(environment: Environment) -> None:
    _answers.clear()
    _span.clear()


def _evaluate(environment: Environment) -> list[CheckResult]:
    seconds = _span[1] - _span[0] if _span else 0.0
    return [
        status_check(_answers),
        latency_check(_answers, EXPECT.health_timeout),
        check_runs_check(_answers, seconds, EXPECT.workers, EXPECT.health_cache_seconds),
    ]


register(
    Scenario(
        name="probes",
        user_classes=(ReadinessProber, ProbeLoadReader),
        start=_start,
        evaluate=_evaluate,
    )
)
