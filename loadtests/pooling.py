"""Pooling: one ``SELECT 1`` per request on an app without middleware, as fast as it answers.

With the rest of a request's work taken away, what is left is getting a
database connection and one round trip on it, so the pool modes' throughput
shows what each way of getting a connection costs. ``prodready loadtest``
serves this scenario with :mod:`prodready_loadtest.pooling_settings` (the
demo's ``DATABASES`` for the run's ``DB_POOL_MODE``, no middleware) and
compares the modes' req/s.

Check:

- ``pooling.errors``: no request failed after the warm-up.

The endpoint exists only in that app, so the user class runs only when named:

    locust -f loadtests --headless -u 20 -r 20 -t 30s --host http://127.0.0.1:8000 SelectOneReader
"""

from __future__ import annotations

from _common import Scenario, register, steady_errors_check
from locust import FastHttpUser, constant, tag, task
from locust.env import Environment

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.scenarios import SELECT_ONE_PATH


class SelectOneReader(FastHttpUser):
    """Ask for one ``SELECT 1`` after another (closed loop, no think time)."""

    wait_time = constant(0)
    #: Not run unless named: other apps have no such endpoint.
    opt_in = True

    @tag("pooling")
    @task
    def select_one(self) -> None:
        """One request, one query."""
        self.client.get(SELECT_ONE_PATH)


def _evaluate(environment: Environment) -> list[CheckResult]:
    return [steady_errors_check("pooling")]


register(Scenario(name="pooling", user_classes=(SelectOneReader,), evaluate=_evaluate))
