"""A burst as an attacker sends it: N requests on N connections, all at once, from asyncio.

A thread pool is polite: its requests arrive a few at a time. Here every
connection is opened first, then every request is written in the same instant,
so the server meets the whole burst together (``Connection: close``, no
keep-alive to smooth it out). Used by the tests and by::

    python -m prodready_loadtest.burst http://127.0.0.1:8000/api/items/ \
        --requests 300 --rounds 20 --window 10 --expect 100 --hogs 3

against a server whose rule is ``GET /api/items/ 100/10s ip``: one burst in
each of 20 windows, with three busy processes saturating the CPU. It prints
one line per burst (statuses and how many were admitted) and exits 1 when a
burst admits anything but ``--expect`` requests (when given).
No Django import: it runs against any deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

# A status the client never gets from a server: the connection failed.
NO_ANSWER = 0


def _request_bytes(method: str, url: str, headers: Mapping[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _one(
    host: str, port: int, raw: bytes, go: asyncio.Event, timeout: float
) -> tuple[int, dict[str, str]]:
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                await go.wait()
                writer.write(raw)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            finally:
                writer.close()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return NO_ANSWER, {}
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


async def burst(
    url: str,
    requests: int,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> list[tuple[int, dict[str, str]]]:
    """Send ``requests`` requests to ``url`` at once; return each (status, headers).

    Every connection is open before the first request is written. A request
    whose connection failed or timed out has status ``NO_ANSWER`` (0).
    """
    host, port, raw = _request_bytes(method, url, headers or {})
    go = asyncio.Event()
    tasks = [asyncio.create_task(_one(host, port, raw, go, timeout)) for _ in range(requests)]
    # Let every task open its connection (the server's backlog holds them),
    # then release all requests together.
    await asyncio.sleep(0.2)
    go.set()
    return list(await asyncio.gather(*tasks))


def statuses(answers: list[tuple[int, dict[str, str]]]) -> Counter[int]:
    """Count the answers by status."""
    return Counter(status for status, _ in answers)


def main(argv: list[str] | None = None) -> int:
    """Run bursts from the command line; exit 1 if one admits other than ``--expect``."""
    parser = argparse.ArgumentParser(
        prog="python -m prodready_loadtest.burst", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=300, help="requests per burst (300)")
    parser.add_argument("--rounds", type=int, default=1, help="bursts to send (1)")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--expect", type=int, help="requests each burst must admit exactly")
    parser.add_argument(
        "--window",
        type=int,
        default=0,
        help="the rule's window in seconds: each burst starts just after a window opens, "
        "so each meets a fresh counter (windows are aligned on the epoch)",
    )
    parser.add_argument(
        "--hogs", type=int, default=0, help="busy processes that saturate the CPU meanwhile (0)"
    )
    args = parser.parse_args(argv)
    with cpu_hogs(args.hogs):
        return _run(args)


@contextlib.contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """Keep ``count`` busy processes running meanwhile, as noisy neighbours would."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def _run(args: argparse.Namespace) -> int:
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    failed = 0
    print(
        f"{args.rounds} burst(s) of {args.requests} simultaneous {args.method} {args.url}"
        + (f", {args.hogs} CPU hog(s)" if args.hogs else ""),
        flush=True,
    )
    for round_ in range(1, args.rounds + 1):
        if args.window:
            # A quarter second into the next window: clocks of client and store may differ a little.
            time.sleep(args.window - time.time() % args.window + 0.25)
        started = time.monotonic()
        answers = asyncio.run(burst(args.url, args.requests, method=args.method, headers=headers))
        counts = statuses(answers)
        admitted = sum(n for status, n in counts.items() if 200 <= status < 300)
        verdict = ""
        if args.expect is not None:
            ok = admitted == args.expect
            failed += not ok
            verdict = " PASS" if ok else f" FAIL (expected {args.expect})"
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        print(
            f"burst {round_}/{args.rounds}: admitted {admitted} of {args.requests} "
            f"({shown}) in {time.monotonic() - started:.1f} s{verdict}",
            flush=True,
        )
    if args.expect is not None:
        print(f"{args.rounds - failed} of {args.rounds} bursts admitted exactly {args.expect}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
