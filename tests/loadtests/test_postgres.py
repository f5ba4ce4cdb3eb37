"""A run's database belongs to a role of its own, whose connection limit protects the server."""

from __future__ import annotations

import psycopg
import pytest

from prodready_loadtest.postgres import PgServer, fresh_database
from tests.servers import PG_HOST, PG_PORT, PG_USER, admin_conn

pytestmark = pytest.mark.integration


def test_the_role_may_hold_only_its_limit_and_both_are_dropped_after() -> None:
    server = PgServer(host=PG_HOST, port=PG_PORT, user=PG_USER)
    with fresh_database(server, connection_limit=2) as database:
        assert database.user == database.dbname != PG_USER
        with (
            database.connect(),
            database.connect(),
            pytest.raises(psycopg.OperationalError, match="too many connections"),
        ):
            database.connect()
        name = database.dbname
    with admin_conn() as conn:
        assert (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall() == []
        )
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchall() == []


def test_server_from_url_keeps_credentials_and_refuses_other_databases() -> None:
    server = PgServer.from_url("postgres://app:s%40cret@db.internal:6543/shop")
    assert (server.host, server.port, server.user, server.password) == (
        "db.internal",
        6543,
        "app",
        "s@cret",
    )
    assert server.on("other").url == "postgres://app:s%40cret@db.internal:6543/other"
    with pytest.raises(ValueError, match="PostgreSQL"):
        PgServer.from_url("sqlite:///db.sqlite3")
