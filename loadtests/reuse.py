"""Connection reuse: read the catalogue under load while PostgreSQL is sampled every 0.5 s.

Checks (the bounds come from the app's own variables):

- ``reuse.max_backends``: the app's client backends on its database never
  exceed ``WEB_CONCURRENCY × DB_POOL_MAX_SIZE`` (behind pgbouncer: its pool
  size, ``LOADTEST_PGBOUNCER_POOL_SIZE``);
- ``reuse.connections_opened``: sessions opened on the server after the
  warm-up (``LOADTEST_WARMUP`` seconds after the last user started) are 0 for
  the native pool and persistent connections, at most pgbouncer's pool size
  behind pgbouncer;
- ``reuse.errors``: no request failed after the warm-up.

The sampler connects with ``LOADTEST_PG_URL`` (default ``DATABASE_URL``;
required behind pgbouncer: a direct URL to the same server) and counts the
sessions on the database ``DATABASE_URL`` names.

    locust -f loadtests --headless -u 20 -r 20 -t 30s --host http://127.0.0.1:8000 ItemsReader
"""

from __future__ import annotations

from _common import EXPECT, Scenario, output_dir, register, steady_errors_check
from _sampling import SamplerProcess
from _users import ItemsReaderBase
from locust import tag, task
from locust.env import Environment

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.reuse_checks import connection_figures, max_backends_check, opened_check


class ItemsReader(ItemsReaderBase):
    """Read random catalogue pages, back to back."""

    @tag("reuse")
    @task
    def items(self) -> None:
        """Read a page."""
        self.read_page()


_sampler: list[SamplerProcess] = []


def _prepare(environment: Environment) -> None:
    # Started before the test: the sampler then has its first sample when the load begins.
    if not _sampler and EXPECT.sample_url and EXPECT.dbname:
        _sampler.append(SamplerProcess(EXPECT.sample_url, EXPECT.dbname, output_dir()))


def _warmed_up() -> None:
    for sampler in _sampler:
        sampler.mark()


def _evaluate(environment: Environment) -> list[CheckResult]:
    errors = steady_errors_check("reuse")
    if not _sampler:
        missing = CheckResult(
            name="reuse.sampling",
            passed=False,
            measured="no PostgreSQL to sample",
            bound="a PostgreSQL DATABASE_URL, or LOADTEST_PG_URL behind pgbouncer",
            detail="set LOADTEST_PG_URL to a direct URL of the app's PostgreSQL server",
        )
        return [missing, errors]
    found = connection_figures(_sampler.pop().stop())
    most, most_why = EXPECT.backend_bound()
    opened, opened_why = EXPECT.opened_bound()
    return [
        max_backends_check(found, most, most_why, EXPECT.pool_mode),
        opened_check(found, opened, opened_why, EXPECT.pool_mode),
        errors,
    ]


register(
    Scenario(
        name="reuse",
        user_classes=(ItemsReader,),
        start=_prepare,
        evaluate=_evaluate,
        warmed_up=_warmed_up,
        prepare=_prepare,
    )
)
