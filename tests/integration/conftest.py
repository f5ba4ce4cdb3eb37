"""Fixtures for tests against real PostgreSQL and pgbouncer processes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.integration.children import pgapp_env, run_scenario
from tests.integration.pgbouncer import Pgbouncer, find_pgbouncer, running_pgbouncer
from tests.servers import admin_conn, backend_pids, database_url, temporary_database


@pytest.fixture
def database() -> Iterator[str]:
    """An empty database of the test's own, dropped afterwards."""
    with temporary_database() as name:
        yield name


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """A database migrated once per session, copied by ``migrated_database``."""
    with temporary_database(prefix="prodready_template") as name:
        run_scenario("migrate", pgapp_env(database_url(name), DB_POOL_MODE="off"))
        # CREATE DATABASE ... TEMPLATE refuses a template anyone is connected
        # to; the child's backends may outlive it by a moment.
        deadline = time.monotonic() + 10
        while backend_pids(name) and time.monotonic() < deadline:
            time.sleep(0.02)
        yield name


@pytest.fixture
def migrated_database(migrated_template: str) -> Iterator[str]:
    """A database of the test's own with contenttypes and auth migrated, dropped afterwards."""
    with temporary_database() as name:
        # temporary_database() creates an empty database; replace it by a copy
        # of the template under the same name, which it drops afterwards.
        with admin_conn() as conn:
            conn.execute(f'DROP DATABASE "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
        yield name


@pytest.fixture(scope="session")
def pgbouncer_binary() -> str:
    """The pgbouncer binary; the test is skipped when it is not installed."""
    binary = find_pgbouncer()
    if binary is None:
        pytest.skip("pgbouncer is not installed (set PRODREADY_TEST_PGBOUNCER to its path)")
    return binary


@pytest.fixture
def pgbouncer(pgbouncer_binary: str) -> Iterator[Pgbouncer]:
    """A pgbouncer of the test's own in transaction mode, stopped afterwards."""
    with running_pgbouncer(pgbouncer_binary, pool_size=4) as running:
        yield running
