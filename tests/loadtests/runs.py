"""Run the load tests as operators do: ``prodready loadtest`` and ``locust -f loadtests``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prodready_loadtest.checks import CheckResult, Outcome
from tests.servers import PG_HOST, PG_PORT, PG_USER, REDIS_PORT, base_env, run_command

SERVERS = {
    "DATABASE_URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres",
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
}


def prodready_loadtest(*args: str, reports: Path) -> subprocess.CompletedProcess[str]:
    """Run ``prodready loadtest ARGS`` on the test servers; return what it printed."""
    command = [sys.executable, "-m", "prodready.cli", "loadtest", *args, "--reports", str(reports)]
    return run_command(command, base_env(**SERVERS), timeout=300)


def checks(output: str) -> dict[str, CheckResult]:
    """Return the ``CHECK`` lines of ``output`` by check name."""
    return {check.name: check for check in Outcome.from_lines(output.splitlines()).checks}
