"""The app under real uvicorn, with its pid; HTTP requests that return what tests assert on."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prodready_loadtest.processes import stop_process
from tests.servers import REPO, free_port, uvicorn_command, wait_for_port


@dataclass
class Server:
    """A running uvicorn: its base URL, log file and process."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def threads(self) -> int:
        """Return how many threads the (single) server process has now."""
        return len(os.listdir(f"/proc/{self.process.pid}/task"))

    def log_text(self) -> str:
        """Return what the server logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serve(env: Mapping[str, str], workers: int = 1) -> Iterator[Server]:
    """Serve the demo under uvicorn (``workers`` processes) on a free port."""
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"prodready-health-{uuid.uuid4().hex[:8]}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            uvicorn_command("demo.asgi:application", port, workers, lifespan="on"),
            env=dict(env), cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_port(port, timeout=30)
            if workers > 1:
                # The supervisor opens the port before the workers are ready
                # (a single process opens it after its start-up).
                time.sleep(0.5 * workers)
            yield Server(f"http://127.0.0.1:{port}", log, process)
        finally:
            stop_process(process)
            log.unlink(missing_ok=True)


@dataclass
class Answer:
    """An HTTP answer: status, headers, raw body and, when it is JSON, the parsed body."""

    status: int
    headers: Mapping[str, str]  # case-insensitive, as HTTP header names are
    text: str

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text)


def get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 30) -> Answer:
    """GET ``url`` (redirects are not followed); return the answer, whatever its status.

    http.client rather than urllib: urllib's proxy handling costs ~40 ms a
    request here, which would stretch a probe storm past a cache period.
    """
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers=dict(headers or {}))
        response = connection.getresponse()
        return Answer(response.status, response.msg, response.read().decode())
    finally:
        connection.close()
