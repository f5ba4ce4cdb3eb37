"""Run wrk, the HTTP benchmarking tool, and read its report: throughput, p99 and errors.

wrk is a C program (Debian's ``wrk`` package): unlike Locust it costs little
CPU per request, so on a small machine it leaves the CPUs to the server it
measures.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

# Units of wrk's latency figures (its format_time), in milliseconds.
_TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_P99 = re.compile(r"^\s+99(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"^\s+Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET = re.compile(
    r"^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)


class WrkError(RuntimeError):
    """wrk did not run, or printed no report; the message ends with what it printed."""


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run measured."""

    rps: float
    p99_ms: float
    requests: int
    non_2xx: int = 0  # answers with a status other than 2xx or 3xx
    socket_errors: int = 0  # connect, read, write errors and timeouts

    @property
    def errors(self) -> int:
        """Return the requests that failed: error statuses and socket errors."""
        return self.non_2xx + self.socket_errors


def find_wrk() -> str | None:
    """Return the wrk binary on PATH, or None."""
    return shutil.which("wrk")


def wrk_version(binary: str) -> str:
    """Return wrk's version, e.g. ``debian/4.1.0-3+b2`` (wrk prints it with its usage)."""
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    words = (result.stdout or result.stderr).split()
    return words[1] if len(words) > 1 else "unknown"


def parse_wrk(text: str) -> WrkResult:
    """Read wrk's report (run with ``--latency``).

    Raises:
        WrkError: the text holds no throughput or no p99 (wrk failed, or ran without
            ``--latency``).
    """
    rate, p99 = _RATE.search(text), _P99.search(text)
    if rate is None or p99 is None:
        raise WrkError(f"wrk printed no report with a p99; it printed:\n{text[-1500:]}")
    requests = _REQUESTS.search(text)
    non_2xx = _NON_2XX.search(text)
    sockets = _SOCKET.search(text)
    return WrkResult(
        rps=float(rate.group(1)),
        p99_ms=float(p99.group(1)) * _TIME_UNITS[p99.group(2)],
        requests=int(requests.group(1)) if requests else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def wrk_command(
    binary: str, url: str, *, threads: int, connections: int, duration: float
) -> list[str]:
    """Return the wrk command line: closed loop, keep-alive, latency distribution."""
    return [
        binary,
        f"-t{max(1, min(threads, connections))}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        url,
    ]


def run_wrk(binary: str, url: str, *, threads: int, connections: int, duration: float) -> WrkResult:
    """Load ``url`` with wrk for ``duration`` seconds; return what it measured.

    Raises:
        WrkError: wrk failed or hung, or its report could not be read.
    """
    command = wrk_command(binary, url, threads=threads, connections=connections, duration=duration)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise WrkError(f"wrk did not finish within {duration + 30:.0f} s: {url}") from err
    if result.returncode != 0:
        said = (result.stderr or result.stdout)[-1500:]
        raise WrkError(f"wrk exited with status {result.returncode}:\n{said}")
    return parse_wrk(result.stdout)
