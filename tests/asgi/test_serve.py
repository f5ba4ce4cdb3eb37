"""``prodready serve``: a failed start fails, with any worker count, before a port is bound.

uvicorn's parent with ``--workers 2`` never imports the application and exits 0
after its workers fail to start; ``prodready serve`` checks first, here.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.asgi.served import APP, get, project_env, wait_until
from tests.servers import REPO, database_url, free_port, prodready_process

pytestmark = pytest.mark.integration


def _serve(env: dict[str, str], port: int, *options: str) -> subprocess.Popen[str]:
    return prodready_process("serve", APP, "--port", str(port), *options, env=env, output=True)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"APP_PROFILE": "prod", "DEBUG": "true"}, "DEBUG: is true"),
        ({"DB_POOL_MODE": "persistent"}, "prodready.E001"),  # a system check, not the profile
    ],
    ids=["bad-variable", "failed-system-check"],
)
def test_a_bad_configuration_exits_1_with_two_workers_before_binding(
    database: str, overrides: dict[str, str], expected: str
) -> None:
    env = {**project_env(database_url(database)), **overrides}
    process = _serve(env, free_port(), "--workers", "2", "--lifespan", "on")
    output, _ = process.communicate(timeout=90)
    assert process.returncode == 1, output
    assert expected in output
    assert "Started parent process" not in output  # uvicorn never ran
    assert "Traceback" not in output


def test_an_unimportable_app_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "prodready.cli", "serve", "no_such_module.asgi:app"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no_such_module" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_good_configuration_becomes_uvicorn_in_the_same_process(database: str) -> None:
    port = free_port()
    env = project_env(database_url(database))
    process = _serve(env, port, "--workers", "2", "--lifespan", "on")
    try:
        url = f"http://127.0.0.1:{port}"

        def live() -> bool:
            try:
                return get(url + "/pid/", timeout=2).status == 200
            except OSError:
                return False

        wait_until(live, "prodready serve answers", timeout=60)
        # --no-server-header, added by prodready serve: nothing tells a scanner the server.
        assert "server" not in get(url + "/pid/").headers
        process.send_signal(signal.SIGTERM)  # to the pid that was started: uvicorn's now
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert f"Started parent process [{process.pid}]" in output
    assert output.count("Application startup complete.") == 2
