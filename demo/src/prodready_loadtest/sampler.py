"""Sample the app's sessions on the PostgreSQL server, as the server counts them.

Run as a process of its own (``python -m prodready_loadtest.sampler``), so
that no event loop or gevent patching of the load generator gets in its way.
Every ``--interval`` seconds it writes one JSON line: the server's clock, the
cumulative number of sessions ever opened on the database
(``pg_stat_database.sessions``), and each client backend connected to it
(pid and ``backend_start``). ``SIGUSR1`` takes a sample at once, marked as
the end of the warm-up; ``SIGTERM`` takes a last sample and exits. It also
exits when its parent dies, so that it never outlives the load test.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import psycopg

logger = logging.getLogger("prodready_loadtest.sampler")

_QUERY = """
SELECT extract(epoch FROM clock_timestamp())::float8,
       coalesce((SELECT sessions FROM pg_stat_database WHERE datname = %(db)s), 0),
       coalesce((SELECT json_agg(json_build_array(pid, extract(epoch FROM backend_start)::float8))
                 FROM pg_stat_activity
                 WHERE datname = %(db)s AND backend_type = 'client backend'
                   AND pid <> pg_backend_pid()), '[]'::json)
"""


@dataclass(frozen=True, slots=True)
class Sample:
    """One look at the server: its clock, sessions opened so far, and the backends now."""

    at: float
    sessions: int
    backends: tuple[tuple[int, float], ...]
    kind: str = "sample"  # or "mark" (end of warm-up) or "final"

    def to_json(self) -> str:
        """Return the sample as one line of JSON."""
        return json.dumps(
            {"at": self.at, "sessions": self.sessions, "backends": self.backends, "kind": self.kind}
        )

    @classmethod
    def from_json(cls, line: str) -> Sample:
        """Read a sample written by :meth:`to_json`."""
        data: dict[str, Any] = json.loads(line)
        return cls(
            at=float(data["at"]),
            sessions=int(data["sessions"]),
            backends=tuple((int(pid), float(start)) for pid, start in data["backends"]),
            kind=str(data.get("kind", "sample")),
        )


def read_samples(path: Path) -> list[Sample]:
    """Return the complete samples written to ``path`` so far (none if it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    # The last line may be half-written while the sampler runs.
    return [Sample.from_json(line) for line in text.splitlines(keepends=True) if line[-1:] == "\n"]


class _Sampler:
    def __init__(self, url: str, dbname: str, out: TextIO) -> None:
        self.url, self.dbname, self.out = url, dbname, out
        self.wake = threading.Event()
        self.pending: str | None = None
        self.conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.pending = "final" if signum == signal.SIGTERM else "mark"
        self.wake.set()

    def take(self, kind: str) -> None:
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            row = self.conn.execute(_QUERY, {"db": self.dbname}).fetchone()
        except psycopg.Error as err:
            # The server may be busy or restarting; the next sample tries again.
            logger.warning("sampling failed: %s", type(err).__name__)
            self.conn = None
            return
        assert row is not None  # a SELECT without FROM returns one row
        backends = tuple((int(pid), float(start)) for pid, start in row[2])
        sample = Sample(at=float(row[0]), sessions=int(row[1]), backends=backends, kind=kind)
        self.out.write(sample.to_json() + "\n")
        self.out.flush()

    def run(self, interval: float) -> None:
        parent = os.getppid()
        while True:
            self.wake.wait(interval)
            self.wake.clear()
            kind, self.pending = self.pending or "sample", None
            self.take(kind)
            if kind == "final" or os.getppid() != parent:
                return


def main(argv: Sequence[str] | None = None) -> int:
    """Sample until SIGTERM; write JSON lines to ``--output``."""
    parser = argparse.ArgumentParser(prog="python -m prodready_loadtest.sampler")
    parser.add_argument("--url", required=True, help="PostgreSQL URL to connect with")
    parser.add_argument("--dbname", required=True, help="database whose sessions are counted")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--output", type=Path, required=True, help="JSON-lines file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="sampler: %(message)s")
    with args.output.open("a", encoding="utf-8") as out:
        sampler = _Sampler(args.url, args.dbname, out)
        signal.signal(signal.SIGTERM, sampler.on_signal)
        signal.signal(signal.SIGUSR1, sampler.on_signal)
        sampler.run(args.interval)
        if sampler.conn is not None:
            sampler.conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
