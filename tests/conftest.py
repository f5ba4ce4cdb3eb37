"""Fixtures for the whole suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prodready.masking import forget
from tests.servers import REPO


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Each test starts with no secret remembered by an earlier one's configuration."""
    forget()
    yield
    forget()


def _uv(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv") or "uv"
    return subprocess.run(
        [uv, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=True
    )


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prodready wheel, built once per run with ``uv build``."""
    out = tmp_path_factory.mktemp("dist")
    _uv("build", "--wheel", "--package", "prodready", "-o", str(out))
    (built,) = out.glob("prodready-*.whl")
    return built


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed by uv, as a user installs it."""
    env = tmp_path_factory.mktemp("venv") / "venv"
    _uv("venv", "-q", "--python", sys.executable, str(env))
    _uv("pip", "install", "-q", "--python", str(env / "bin" / "python"), str(wheel))
    return env
