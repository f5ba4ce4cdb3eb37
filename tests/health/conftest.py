"""Fixtures of the health tests: a throwaway PostgreSQL with the demo's database, environments."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.postgres import ThrowawayPostgres, find_bindir
from tests.servers import REPO, base_env, run_python

# Every part of this URL is distinctive, so that tests can look for it in bodies.
DB_USER = "leaky_user_q7"
DB_PASSWORD = "pw-s3cret-x1"
DB_HOST = "127.7.7.7"
DB_NAME = "db_private_x9z"
SECRETS = (DB_USER, DB_PASSWORD, DB_HOST, DB_NAME)
TOKEN = "health-token-for-tests-0123456789"
# Words that betray an exception or a driver in a public body.
TELLTALES = ("Error", "Exception", "Traceback", "psycopg", "PoolTimeout", "refused", "errno")


@pytest.fixture(scope="session")
def cluster() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL of the session's own with the distinctive role; stopping tests restart it."""
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL's initdb/pg_ctl are not installed"
    # 127.7.7.7 too: the distinctive host name of the health tests' URLs.
    server = ThrowawayPostgres(bindir, addresses=("127.7.7.7",), log_statements=True)
    try:
        server.start()
        with server.connect() as conn:
            conn.execute(f"CREATE ROLE {DB_USER} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'")
        yield server
    finally:
        server.remove()


def database_url(cluster: ThrowawayPostgres, name: str = DB_NAME, host: str = DB_HOST) -> str:
    """Return the distinctive URL of database ``name`` on ``cluster``."""
    return f"postgres://{DB_USER}:{DB_PASSWORD}@{host}:{cluster.port}/{name}"


def demo_env(url: str, **overrides: str) -> dict[str, str]:
    """Return the environment of the demo in the dev profile on ``url``, with the health token."""
    settings = {
        "DJANGO_SETTINGS_MODULE": "demo.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HEALTH_TOKEN": TOKEN,
    }
    return base_env(**{**settings, **overrides})


def manage(env: dict[str, str], *command: str) -> None:
    """Run a management command of the demo in a child process."""
    subprocess.run(
        [sys.executable, "-m", "django", *command], env=env, cwd=REPO, check=True, timeout=120,
        capture_output=True,
    )  # fmt: skip


@pytest.fixture(scope="session")
def demo_db(cluster: ThrowawayPostgres) -> str:
    """The demo's database on ``cluster``, migrated and seeded, owned by the distinctive user."""
    with cluster.connect() as conn:
        conn.execute(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")
    env = demo_env(database_url(cluster), DB_POOL_MODE="off")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    return DB_NAME


def scenario(name: str, env: dict[str, str], **params: Any) -> dict[str, Any]:
    """Run scenario ``name`` of ``tests.health.scenarios`` in a child; return its facts."""
    code = f"from tests.health.scenarios import main; main({name!r}, {params!r})"
    return run_python(code, env, timeout=90)


def assert_public(text: str) -> None:
    """Assert that ``text`` (a public body) shows no credential, host or exception."""
    for secret in (*SECRETS, TOKEN):
        assert secret not in text, f"{secret!r} leaked into {text}"
    for word in TELLTALES:
        assert word.lower() not in text.lower(), f"{word!r} leaked into {text}"
