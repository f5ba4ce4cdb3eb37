"""``locust -f loadtests`` against a running demo, as an SRE runs it: no Django, no settings.

The demo runs as ``prodready demo`` does (its own SQLite); Locust's environment
holds only PATH, HOME and the app variable its checks read (the limits).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import REPO, free_port, prodready_process, wait_for_port

pytestmark = pytest.mark.integration

# Loose enough that the readers in the background are never refused.
RULES = "GET /api/ 1000000/h ip"


def test_locust_runs_the_probe_checks_against_a_demo_with_a_clean_environment(
    tmp_path: Path,
) -> None:
    port = free_port()
    demo_env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PRODREADY_BASE_DIR": str(tmp_path),
        "RATELIMIT_RULES": RULES,
    }
    demo = prodready_process("demo", "--port", str(port), env=demo_env, cwd=tmp_path)
    try:
        wait_for_port(port, timeout=60)
        locust = subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                *("-f", str(REPO / "loadtests"), "--headless"),
                *("-u", "4", "-r", "4", "-t", "5s"),
                *("--host", f"http://127.0.0.1:{port}", "--tags", "probes"),
            ],
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "RATELIMIT_RULES": RULES},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        demo.terminate()
        demo.wait(timeout=30)
    output = locust.stdout + locust.stderr
    assert "ImproperlyConfigured" not in output
    assert "CHECK probes.status:" in output
    assert locust.returncode == 0, output[-3000:]
    assert "FAIL" not in output
