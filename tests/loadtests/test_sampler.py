"""The sampler counts the app's sessions on PostgreSQL, as the server sees them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from prodready_loadtest import sampler
from prodready_loadtest.reuse_checks import connection_figures
from prodready_loadtest.sampler import read_samples
from tests.servers import PG_HOST, PG_PORT, PG_USER, database_url, temporary_database

pytestmark = pytest.mark.integration


@pytest.fixture
def database() -> Iterator[str]:
    with temporary_database(prefix="prodready_sampler") as name:
        yield name


def _wait_for(path: Path, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(read_samples(path)) < count:
        assert time.monotonic() < deadline, "the sampler wrote too few samples"
        time.sleep(0.05)


def _connect(name: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=name, autocommit=True)


def test_sessions_opened_after_the_mark_are_counted(database: str, tmp_path: Path) -> None:
    output = tmp_path / "samples.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-P",
            sampler.__file__,
            "--url",
            database_url("postgres"),
            "--dbname",
            database,
            "--interval",
            "0.1",
            "--output",
            str(output),
        ]
    )
    try:
        with _connect(database), _connect(database):
            _wait_for(output, 2)
            process.send_signal(signal.SIGUSR1)
            _wait_for(output, 4)
            with _connect(database) as third:
                third.execute("SELECT 1")  # the session reports its stats once idle
                _wait_for(output, len(read_samples(output)) + 2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    samples = read_samples(output)
    found = connection_figures(samples)

    assert [s.kind for s in samples].count("mark") == 1
    assert samples[-1].kind == "final"
    assert found.max_backends == 3
    assert found.sessions_opened == 1
    assert found.new_backends_seen == 1
    assert found.opened_after_warmup == 1
