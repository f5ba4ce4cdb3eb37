"""Run the PostgreSQL sampler (``prodready_loadtest.sampler``) as a child of Locust.

A process of its own, not a greenlet: psycopg blocks in libpq, which gevent's
monkey patching does not reach, and a blocked sample would stall every
simulated user with it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import gevent

from prodready_loadtest import sampler
from prodready_loadtest.sampler import Sample, read_samples

logger = logging.getLogger("loadtests")


class SamplerProcess:
    """One sampler child: started at test start, marked at warm-up's end, stopped at the end."""

    def __init__(self, url: str, dbname: str, directory: Path, interval: float = 0.5) -> None:
        self.output = directory / "samples.jsonl"
        self.output.unlink(missing_ok=True)
        self.log = directory / "sampler.log"
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                # Run by path (-P: without its directory on sys.path): it needs
                # only psycopg, and starts in a fraction of the time importing
                # the prodready package takes.
                [
                    sys.executable,
                    "-P",
                    sampler.__file__,
                    *("--url", url, "--dbname", dbname, "--interval", str(interval)),
                    *("--output", str(self.output)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )

    def _wait_for_first_sample(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if read_samples(self.output):
                return True
            if self.process.poll() is not None:
                return False
            gevent.sleep(0.05)
        return False

    def mark(self) -> None:
        """Take a sample now, marked as the end of the warm-up (in the background)."""
        gevent.spawn(self._mark)

    def _mark(self) -> None:
        # Before its first sample the sampler may not have installed its signal
        # handlers yet, and SIGUSR1 would kill it.
        if self._wait_for_first_sample(10):
            self.process.send_signal(signal.SIGUSR1)
        else:
            logger.warning("The sampler took no sample; see %s.", self.log)

    def stop(self) -> list[Sample]:
        """Take a last sample, stop the sampler and return every sample it took."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return read_samples(self.output)
