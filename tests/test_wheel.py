"""The built wheel carries the library alone, and a new user's project can use it.

Built with ``uv build`` and installed with uv in a fresh virtual environment
(from uv's cache or the package registry), as a new user installs it.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.servers import run_command

pytestmark = pytest.mark.integration


def _run(venv: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)}
    return run_command([str(venv / "bin" / command[0]), *command[1:]], clean, cwd=cwd)


def test_the_wheels_only_top_level_package_is_prodready(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {name for name in top if not name.endswith(".dist-info")} == {"prodready"}
    assert not [name for name in names if "loadtest" in name or name.startswith("demo/")]


@pytest.mark.parametrize("command", [["demo"], ["loadtest", "--compare", "--rounds", "3"]])
def test_checkout_commands_say_in_one_line_that_they_need_a_checkout(
    venv: Path, tmp_path: Path, command: list[str]
) -> None:
    result = _run(venv, "prodready", *command, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"prodready {command[0]}: needs a source checkout of prodready")


def test_a_new_project_can_have_an_app_called_demo(venv: Path, tmp_path: Path) -> None:
    assert _run(venv, "django-admin", "startproject", "mysite", cwd=tmp_path).returncode == 0
    result = _run(venv, "python", "manage.py", "startapp", "demo", cwd=tmp_path / "mysite")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mysite" / "demo" / "models.py").exists()


def test_the_long_description_pypi_shows_has_no_relative_links(wheel: Path) -> None:
    import email
    import re

    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(name))
    description = metadata.get_payload()
    assert isinstance(description, str)
    assert "prodready.headers.SecurityHeadersMiddleware" in description
    assert "## Compatibility" in description
    # Markdown links whose target is not an absolute URL break on PyPI.
    assert re.findall(r"\]\((?!https?://)[^)]*\)", description) == []
    assert metadata["License-Expression"] == "MIT"
