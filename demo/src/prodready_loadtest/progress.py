"""The live progress line of a run: Locust's figures and the backends on the server.

On a terminal one line is rewritten every second; otherwise (CI logs) a plain
line is printed every five seconds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from prodready_loadtest.sampler import read_samples


def _figures(directory: Path) -> dict[str, float]:
    try:
        data = json.loads((directory / "progress.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): float(value) for key, value in data.items()}


def _backends(directory: Path) -> int | None:
    samples = read_samples(directory / "samples.jsonl")
    return len(samples[-1].backends) if samples else None


def progress_text(label: str, directory: Path, duration: float) -> str:
    """Return the progress line of the run writing to ``directory``."""
    figures = _figures(directory)
    if not figures:
        return f"[{label}] starting Locust..."
    backends = _backends(directory)
    return (
        f"[{label}] {figures['elapsed']:4.0f}/{duration:.0f} s  users {figures['users']:.0f}  "
        f"{figures['rps']:6.1f} req/s  p50 {figures['p50_ms']:.0f} ms  "
        f"p99 {figures['p99_ms']:.0f} ms  failures {figures['failures']:.0f}"
        + (f"  backends {backends}" if backends is not None else "")
    )


class Progress:
    """Show the progress of one run until :meth:`stop`; use it as a context manager."""

    def __init__(
        self, label: str, directory: Path, duration: float, stream: TextIO | None = None
    ) -> None:
        self.label, self.directory, self.duration = label, directory, duration
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadtest-progress", daemon=True)

    def _run(self) -> None:
        last_plain = 0.0
        while not self._stop.wait(1.0):
            text = progress_text(self.label, self.directory, self.duration)
            if self.tty:
                self.stream.write("\r\033[K" + text)
                self.stream.flush()
            elif time.monotonic() - last_plain >= 5:
                last_plain = time.monotonic()
                print(text, file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()


def say(message: str) -> None:
    """Print one line of what ``prodready loadtest`` is doing now, at once."""
    print(f"prodready loadtest: {message}", flush=True)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


class Steps:
    """Number the scenario runs of a whole command, with elapsed time and an ETA.

    Args:
        total: Scenario runs the command will make.
        guess: Seconds one run is expected to take, for the ETA before any has finished.
    """

    def __init__(self, total: int, guess: float) -> None:
        self.total = total
        self.guess = guess
        self.started = time.monotonic()
        self.count = 0

    def start(self, what: str) -> str:
        """Announce the next run; return its line (printed at once)."""
        elapsed = time.monotonic() - self.started
        per_run = elapsed / self.count if self.count else self.guess
        self.count += 1
        remaining = per_run * (self.total - self.count + 1)
        line = (
            f"[{self.count}/{self.total}] {what}  ({_clock(elapsed)} elapsed, "
            f"ETA {_clock(remaining)})"
        )
        print(line, flush=True)
        return line
