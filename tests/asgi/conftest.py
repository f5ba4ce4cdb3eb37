"""Fixtures of the ASGI tests: databases of their own, a throwaway cluster, clean signals."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from prodready import lifecycle
from tests.postgres import ThrowawayPostgres, find_bindir
from tests.servers import temporary_database


@pytest.fixture
def database() -> Iterator[str]:
    """An empty database of the test's own on the shared server, dropped afterwards."""
    with temporary_database(prefix="prodready_asgi") as name:
        yield name


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A cluster of the test's own, initialised but not started; removed afterwards."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed (set PRODREADY_TEST_PGBIN)")
    cluster = ThrowawayPostgres(bindir)
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def clean_process() -> Iterator[None]:
    """Restore SIGTERM/SIGINT handlers and the draining state after an in-process test."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    lifecycle.reset()
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    lifecycle.reset()
