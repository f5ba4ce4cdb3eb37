"""The process kit of the load tests and the test suite: servers started, watched, stopped.

:func:`start_server` is the one place a server process is started:
:class:`Served` gives its URL and log, waits for lines in the log, signals it
and stops it. pgbouncer runs in a context manager that stops it, even when the
body raises or the user presses Ctrl-C. The app servers (uvicorn, gunicorn)
are in :mod:`prodready_loadtest.app_servers`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prodready_loadtest.postgres import PgServer

# pgbouncer refuses to run as root; then it is told to drop to this user.
PGBOUNCER_USER = os.environ.get("PRODREADY_PGBOUNCER_USER", "postgres")

_PGBOUNCER_INI = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
{settings}"""


class ServerError(RuntimeError):
    """A server the load test needs did not start; the message says why and what to do."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_pgbouncer() -> str | None:
    """Return the pgbouncer binary (``PRODREADY_PGBOUNCER``, PATH or /usr/sbin), or None."""
    return (
        os.environ.get("PRODREADY_PGBOUNCER")
        or shutil.which("pgbouncer")
        or shutil.which("pgbouncer", path="/usr/sbin:/usr/local/sbin")
    )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> int:
    """Stop ``process`` with SIGTERM, or SIGKILL after ``timeout`` seconds; return its status."""
    if process.poll() is not None:
        return process.returncode
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=10)


def log_tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


@dataclass
class Served:
    """A server process :func:`start_server` started: its URL, log and process.

    Attributes:
        url: ``http://127.0.0.1:PORT``.
        port: The port it was told to listen on.
        log: Its stdout and stderr together.
        process: The process started (uvicorn's or gunicorn's parent).
        group: Whether it runs in a process group of its own (its workers with it).
        own_log: Whether the log is removed when the server is stopped.
    """

    url: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    group: bool = False
    own_log: bool = field(default=False, repr=False)

    def text(self) -> str:
        """Return everything the server logged so far."""
        return log_tail(self.log, 100_000_000)

    def wait_logged(self, line: str, count: int = 1, timeout: float = 30) -> None:
        """Wait until ``line`` was logged ``count`` times.

        Raises:
            ServerError: when the process exits first, or after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while self.text().count(line) < count:
            if self.process.poll() is not None:
                raise ServerError(f"the server exited ({self.process.returncode}):\n{self.text()}")
            if time.monotonic() > deadline:
                raise ServerError(f"{line!r} not logged {count}× in {timeout} s:\n{self.text()}")
            time.sleep(0.05)

    def wait_listening(self, timeout: float = 30) -> None:
        """Wait until the port accepts connections.

        Raises:
            ServerError: when the process exits first, or after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while not _listening(self.port):
            if self.process.poll() is not None:
                raise ServerError(f"the server exited ({self.process.returncode}):\n{self.text()}")
            if time.monotonic() > deadline:
                raise ServerError(f"nothing listens on {self.port} after {timeout} s")
            time.sleep(0.05)

    def threads(self) -> int:
        """Return how many threads the (single) server process has now."""
        return len(os.listdir(f"/proc/{self.process.pid}/task"))

    def sigterm(self) -> None:
        """Send SIGTERM to the server's main process, as Kubernetes does."""
        self.process.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float) -> int:
        """Wait for the server to exit; return its status."""
        return self.process.wait(timeout=timeout)

    def stop(self, graceful: bool = True) -> int:
        """Stop the server: SIGTERM first when ``graceful`` (workers drain), else SIGKILL.

        What is left of its process group is killed; its log is removed if
        :func:`start_server` chose it. Returns the exit status.
        """
        status = stop_process(self.process) if graceful else None
        if self.group:
            # Killing the parent alone would leave its workers serving.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if status is None:
            if self.process.poll() is None and not self.group:
                self.process.kill()
            status = self.process.wait(timeout=10)
        if self.own_log:
            self.log.unlink(missing_ok=True)
        return status


def start_server(
    command: Sequence[str],
    env: Mapping[str, str],
    port: int,
    *,
    log: Path | None = None,
    cwd: Path | None = None,
    group: bool = False,
) -> Served:
    """Start ``command`` (a server told to listen on 127.0.0.1:``port``); return at once.

    Args:
        command: The server's command line.
        env: Its whole environment.
        port: Where it listens.
        log: Where its output goes; a file of its own, removed at :meth:`Served.stop`,
            when omitted.
        cwd: Its working directory.
        group: Start it in a process group of its own, so that stopping it
            stops its workers too whatever it does with signals.
    """
    own_log = log is None
    if log is None:
        log = Path(tempfile.gettempdir()) / f"prodready-server-{uuid.uuid4().hex[:8]}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=group,
        )
    return Served(f"http://127.0.0.1:{port}", port, log, process, group, own_log)


@dataclass(frozen=True, slots=True)
class PgbouncerProcess:
    """A pgbouncer that :func:`pgbouncer_in` started: its port and process id."""

    port: int
    pid: int


@contextlib.contextmanager
def running_pgbouncer(server: PgServer, pool_size: int, log_copy: Path) -> Iterator[int]:
    """Run pgbouncer in transaction mode in front of ``server``; yield its port.

    It serves every database name of the server with trust authentication on
    127.0.0.1, with ``pool_size`` server connections per database, from a
    temporary directory (removed after; its log is copied to ``log_copy``).
    """
    directory = Path(tempfile.mkdtemp(prefix="prodready-pgbouncer-"))
    try:
        with pgbouncer_in(directory, server, pool_size) as process:
            yield process.port
    finally:
        with contextlib.suppress(OSError):
            shutil.copyfile(directory / "pgbouncer.log", log_copy)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def pgbouncer_in(
    directory: Path,
    server: PgServer,
    pool_size: int,
    *,
    binary: str | None = None,
    settings: str = "",
) -> Iterator[PgbouncerProcess]:
    """Run pgbouncer in transaction mode from ``directory`` in front of ``server``.

    Its configuration, user list and log (``pgbouncer.log``) go in
    ``directory``, which the caller removes; ``settings`` are more lines of
    its ``[pgbouncer]`` section. It is stopped when the block ends.

    Raises:
        ServerError: pgbouncer is not installed or did not start (with its log's end).
    """
    binary = binary or find_pgbouncer()
    if binary is None:
        raise ServerError(
            "pgbouncer is not installed; install Debian's 'pgbouncer' package or set "
            "PRODREADY_PGBOUNCER to its path, or choose another --pool-mode."
        )
    port = free_port()
    # The run's throwaway role and password, for pgbouncer's own logins to the server.
    (directory / "userlist.txt").write_text(
        f'"{server.user}" "{server.password}"\n', encoding="utf-8"
    )
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        _PGBOUNCER_INI.format(
            host=server.host,
            port=server.port,
            listen_port=port,
            directory=directory,
            pool_size=pool_size,
            settings=settings,
        ),
        encoding="utf-8",
    )
    command = [binary, str(ini)]
    for path in (directory, directory / "userlist.txt", ini):
        path.chmod(0o700 if path.is_dir() else 0o600)
    if os.geteuid() == 0:
        # Readable only by the unprivileged user pgbouncer switches to.
        command[1:1] = ["-u", PGBOUNCER_USER]
        record = pwd.getpwnam(PGBOUNCER_USER)
        for path in (directory, directory / "userlist.txt", ini):
            os.chown(path, record.pw_uid, record.pw_gid)
    log = directory / "pgbouncer.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"pgbouncer did not start; its log ends:\n{log_tail(log)}")
            time.sleep(0.05)
        yield PgbouncerProcess(port=port, pid=process.pid)
    finally:
        stop_process(process)
