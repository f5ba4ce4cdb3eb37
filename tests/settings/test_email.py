"""EMAIL_URL: where e-mail goes, as MAILERS; a fresh project's check --deploy is clean with it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prodready import ConfigurationError, Profile
from tests.servers import base_env, run_command
from tests.settings.conftest import prod_env

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("url", "options"),
    [
        (
            "smtp+tls://app:p%40ss@smtp.example.com:2587",
            {
                "host": "smtp.example.com",
                "port": 2587,
                "username": "app",
                "password": "p@ss",
                "use_tls": True,
                "use_ssl": False,
                "timeout": 10,
            },
        ),
        (
            "smtps://u:pw@mx.example.com",
            {
                "host": "mx.example.com",
                "port": 465,
                "username": "u",
                "password": "pw",
                "use_tls": False,
                "use_ssl": True,
                "timeout": 10,
            },
        ),
        (
            "smtp://relay.internal",
            {
                "host": "relay.internal",
                "port": 25,
                "username": "",
                "password": "",
                "use_tls": False,
                "use_ssl": False,
                "timeout": 10,
            },
        ),
    ],
)
def test_email_url_gives_the_default_mailer(
    load: Callable[..., Profile], url: str, options: dict[str, object]
) -> None:
    settings = load(EMAIL_URL=url).django_settings()
    assert settings["MAILERS"] == {"default": {"BACKEND": SMTP, "OPTIONS": options}}


def test_without_email_url_the_projects_own_mailers_stay(load: Callable[..., Profile]) -> None:
    assert "MAILERS" not in load().django_settings()


@pytest.mark.parametrize(
    "url", ["ftp://mail.example.com", "smtp://u:a/b@mail.example.com", "smtp://:pw@", "smtp://h:x"]
)
def test_a_bad_email_url_is_refused_without_its_password(
    load: Callable[..., Profile], url: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        load(**prod_env(EMAIL_URL=url))
    assert [p.variable for p in info.value.problems] == ["EMAIL_URL"]
    assert "a/b" not in str(info.value)
    assert ":pw" not in str(info.value)


@pytest.mark.parametrize(
    ("email_url", "status"), [("smtp+tls://app:pw@smtp.example.com", 0), ("", 1)]
)
def test_a_fresh_projects_check_deploy_is_clean_with_the_prod_profile(
    tmp_path: Path, email_url: str, status: int
) -> None:
    env = base_env()
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)],
        env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    settings = tmp_path / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + "\nINSTALLED_APPS += ['prodready']\n"
        + "from prodready import load_profile\n"
        + "globals().update(load_profile().django_settings())\n"
    )
    env.update(prod_env(EMAIL_URL=email_url))
    env.update(DJANGO_SETTINGS_MODULE="mysite.settings", PYTHONPATH=str(tmp_path))
    env.pop("PRODREADY_BASE_DIR")
    result = run_command(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env,
        cwd=tmp_path,
    )
    assert result.returncode == status, result.stdout + result.stderr
    if status == 0:
        assert "System check identified no issues" in result.stdout
    else:
        assert "mail.E001" in result.stderr
