"""``prodready probe``: the exec probe answers as the endpoint does, within its deadline."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.health.conftest import demo_env, manage
from tests.servers import REPO, base_env, database_url, free_port, temporary_database

pytestmark = pytest.mark.integration


def _probe(kind: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prodready.cli", "probe", kind],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,  # a probe that hangs fails here
        check=False,
    )


def test_readiness_exits_0_with_the_database_up_and_1_with_it_down() -> None:
    with temporary_database(prefix="prodready_probe") as name:
        up = demo_env(database_url(name))
        manage(up, "migrate", "--verbosity", "0")
        ready = _probe("readiness", up)
        live = _probe("liveness", up)
    down = demo_env(database_url("nowhere", port=free_port()))
    not_ready = _probe("readiness", down)

    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.startswith('readiness: 200 {"status":"ready"')
    assert live.returncode == 0
    assert not_ready.returncode == 1
    assert not_ready.stdout.startswith('readiness: 503 {"status":"not_ready"')
    assert '"database":"failed"' in not_ready.stdout or '"database":"timeout"' in not_ready.stdout


def test_without_a_settings_module_it_says_so_and_exits_2() -> None:
    env = base_env()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = _probe("liveness", env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "prodready probe: set DJANGO_SETTINGS_MODULE to the project's settings module."
    )
