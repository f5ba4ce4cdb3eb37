"""The PostgreSQL server a load test runs on: where it is, and a database of the run's own."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote, urlsplit

import psycopg

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "psql")


@dataclass(frozen=True, slots=True)
class PgServer:
    """A PostgreSQL server and the role to use on it, as a ``DATABASE_URL`` names them."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "postgres"

    @classmethod
    def from_url(cls, url: str | None) -> PgServer:
        """Read the server out of a ``postgres://`` URL (default: the local server).

        Raises:
            ValueError: the URL is not a PostgreSQL URL (the message never quotes it).
        """
        parts = urlsplit(url or DEFAULT_DATABASE_URL)
        if parts.scheme not in POSTGRES_SCHEMES:
            raise ValueError(
                f"DATABASE_URL must name a PostgreSQL server (postgres://...), not "
                f"'{parts.scheme or 'no scheme'}'; the load tests need PostgreSQL."
            )
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=parts.path.lstrip("/") or "postgres",
        )

    def on(
        self,
        dbname: str,
        host: str | None = None,
        port: int | None = None,
        user: str | None = None,
        password: str = "",
    ) -> PgServer:
        """Return database ``dbname`` on this server (optionally another host:port or role)."""
        return replace(
            self,
            dbname=dbname,
            host=host or self.host,
            port=port or self.port,
            user=user or self.user,
            password=self.password if user is None else password,
        )

    @property
    def url(self) -> str:
        """This database as a ``postgres://`` URL."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"postgres://{auth}@{self.host}:{self.port}/{quote(self.dbname, safe='')}"

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """Open an autocommit connection to this database."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=self.dbname,
            autocommit=True,
            connect_timeout=5,
        )


@contextlib.contextmanager
def fresh_database(
    server: PgServer, connection_limit: int, prefix: str = "prodready_loadtest"
) -> Iterator[PgServer]:
    """Create a role and a database of the run's own on ``server``; drop both after.

    The app connects as that role, which may hold at most ``connection_limit``
    sessions: a pool mode that leaks connections (``persistent`` under ASGI)
    then fails its own requests instead of exhausting ``max_connections`` of a
    server that others share. Superusers are exempt from such limits, hence a
    role of its own. When ``server``'s role may not create roles, the run uses
    that role, without the limit.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    password = secrets.token_hex(16)
    with server.connect() as conn:
        try:
            conn.execute(
                f'CREATE ROLE "{name}" LOGIN NOSUPERUSER CONNECTION LIMIT {int(connection_limit)} '
                f"PASSWORD '{password}'"
            )
            owner: str | None = name
        except psycopg.errors.InsufficientPrivilege:
            owner = None
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner or server.user}"')
    try:
        yield server.on(name) if owner is None else server.on(name, user=owner, password=password)
    finally:
        with server.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if owner is not None:
                conn.execute(f'DROP ROLE IF EXISTS "{owner}"')


def server_version(server: PgServer) -> str:
    """Return the server's version, e.g. ``15.20``."""
    with server.connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"
