"""The issue_token management command."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection

from demo.catalog.models import ApiToken
from tests.servers import REPO, base_env

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_django import Settings


def _issue(username: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", username, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _every_stored_value() -> list[str]:
    """Return every value of every row of every table, as text."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values += [str(value) for row in cursor.fetchall() for value in row]
    return values


@pytest.mark.django_db
def test_prints_the_token_alone_on_one_line() -> None:
    out, err = _issue("alice")

    assert out.count("\n") == 1
    token = out.strip()
    assert out == token + "\n"
    assert len(token) == 43  # secrets.token_urlsafe(32)
    assert "alice" in err
    assert token not in err


@pytest.mark.django_db
def test_stores_only_the_hash_of_the_token() -> None:
    token = _issue("alice")[0].strip()

    stored = ApiToken.objects.get()
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in value for value in _every_stored_value())


@pytest.mark.django_db
def test_creates_a_missing_user_without_a_usable_password() -> None:
    _issue("alice")

    user = User.objects.get(username="alice")
    assert not user.has_usable_password()
    assert user.is_active
    assert user.api_tokens.count() == 1


@pytest.mark.django_db
def test_adds_a_new_token_to_an_existing_user(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    user = User.objects.create_user("alice", password="kept")

    first, err = _issue("alice")
    second, _ = _issue("alice")

    assert first != second
    assert "existing user" in err
    assert User.objects.count() == 1
    assert user.api_tokens.count() == 2
    user.refresh_from_db()
    assert user.check_password("kept")


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["", "has space", "x" * 151], ids=["empty", "space", "long"])
def test_refuses_an_invalid_username(username: str) -> None:
    with pytest.raises(CommandError, match="not a valid user name"):
        _issue(username)

    assert not User.objects.exists()
    assert not ApiToken.objects.exists()


def test_shell_capture_gets_just_the_token(tmp_path: Path) -> None:
    # What TOKEN=$(DJANGO_SETTINGS_MODULE=demo.settings django-admin issue_token alice)
    # sees: a real process with the demo settings, on a SQLite file of its own.
    env = base_env(PRODREADY_BASE_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="demo.settings")

    def django_admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    django_admin("migrate", "--verbosity", "0")
    result = django_admin("issue_token", "alice")

    assert result.stdout.count("\n") == 1
    assert len(result.stdout.strip()) == 43
