"""URLs whose passwords hold raw reserved characters never show them, in any output.

Each URL is run through every command an operator runs (prodready check,
config, config --json, django-admin, uvicorn's start-up, the demo's banner),
as a separate process, and nothing of its password appears in what it prints.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.servers import REPO, base_env
from tests.settings.conftest import PROD_KEY

# (URL, the pieces of it that are secret, whether the profile accepts it)
URLS = [
    ("postgres://app:Xk9/Tq2vLm@db.internal:5432/app", ("Xk9", "Tq2vLm"), False),
    ("postgres://u:Leaky@Pw:_42@127.0.0.1:1/db", ("Leaky", "Pw:_42"), False),
    (
        "postgres://u:pw-4417x@127.0.0.1:1/db?sslmode=disable&sslpassword=SSLSECRET99",
        ("pw-4417x", "SSLSECRET99"),
        True,
    ),
]
IDS = ["raw-slash", "raw-at", "sslpassword"]


def _env(url: str, **overrides: str) -> dict[str, str]:
    return base_env(
        APP_PROFILE="prod",
        SECRET_KEY=PROD_KEY,
        ALLOWED_HOSTS="api.example.com",
        DATABASE_URL=url,
        REDIS_URL="redis://127.0.0.1:1/0",
        DB_CONNECT_TIMEOUT="1",
        **overrides,
    )


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=90, check=False, cwd=REPO
    )


def _assert_hidden(result: subprocess.CompletedProcess[str], secrets: tuple[str, ...]) -> None:
    output = result.stdout + result.stderr
    for secret in secrets:
        assert secret not in output, output


@pytest.mark.parametrize(("url", "secrets", "valid"), URLS, ids=IDS)
@pytest.mark.parametrize("command", [["check"], ["config"], ["config", "--json"]])
def test_prodready_commands_never_print_the_password(
    url: str, secrets: tuple[str, ...], valid: bool, command: list[str]
) -> None:
    result = _run([sys.executable, "-m", "prodready.cli", *command], _env(url))
    _assert_hidden(result, secrets)
    if not valid:
        assert result.returncode == 1
        assert "percent-encode" in result.stdout + result.stderr


@pytest.mark.parametrize(("url", "secrets", "valid"), URLS, ids=IDS)
def test_django_admin_and_uvicorn_start_up_never_print_the_password(
    url: str, secrets: tuple[str, ...], valid: bool
) -> None:
    # DEBUG=true makes even the valid URL's configuration fail, so that both end.
    env = _env(url, DJANGO_SETTINGS_MODULE="demo.settings", DEBUG="true")
    admin = _run([sys.executable, "-m", "django", "check"], env)
    _assert_hidden(admin, secrets)
    assert admin.returncode == 1
    uvicorn = _run([sys.executable, "-m", "uvicorn", "demo.asgi:application", "--port", "0"], env)
    _assert_hidden(uvicorn, secrets)
    assert uvicorn.returncode != 0
    assert "configuration has" in uvicorn.stdout + uvicorn.stderr


def test_the_demo_banner_and_its_failure_never_print_the_password() -> None:
    url, secrets, _ = URLS[2]  # valid, but nothing listens on its port
    result = _run(
        [sys.executable, "-m", "prodready.cli", "demo", "--port", "0", "--database", url],
        _env(url),
    )
    _assert_hidden(result, secrets)
    assert "postgres://u:***@127.0.0.1:1/db" in result.stdout
    assert result.returncode != 0
