"""``prodready serve``: check the application in this process, then become uvicorn.

With ``--workers 2`` or more, uvicorn's parent process never imports the
application; it starts workers that do. A worker that cannot start (a
configuration error, a failed system check) exits with uvicorn's start-up
failure status, and the parent then stops too, but with status **0**: a
supervisor that restarts on failure, or a CI smoke test, reads a failed start
as success.

``prodready serve APP [UVICORN OPTIONS...]`` imports ``APP`` here first, which
loads the settings and validates the profile, and runs prodready's system
checks. On a problem it prints the same lines the worker would and exits with
status 1 (2 when ``APP`` cannot be imported), before any port is bound. Then
it replaces itself with ``python -m uvicorn APP OPTIONS...`` (the same
process: SIGTERM sent to it reaches uvicorn), adding ``--no-proxy-headers``
(the rate limiter reads ``X-Forwarded-For`` itself) and ``--no-server-header``
(no ``server: uvicorn`` for scanners), each unless the options choose.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from prodready.exceptions import ConfigurationError
from prodready.masking import mask

#: Exit statuses.
INVALID = 1  # the configuration or a system check failed
UNUSABLE = 2  # APP cannot be imported


def preflight(app: str) -> tuple[int, str]:
    """Import ``app`` and run prodready's system checks; return (status, message).

    The status is 0 when the application can start. The message holds no secret.
    """
    from uvicorn.importer import ImportFromStringError, import_from_string

    from prodready.asgi import StartupFailed, run_checks

    try:
        loaded = import_from_string(app)
    except ImportFromStringError as err:
        return UNUSABLE, f"prodready serve: {err}"
    except ConfigurationError as err:
        return INVALID, err.render()
    except Exception as err:  # the application's own import failed
        return UNUSABLE, mask(f"prodready serve: importing {app} failed: {err!r}")
    setup_error = getattr(loaded, "setup_error", None)  # prodready.asgi.Application
    if setup_error:
        return INVALID, str(setup_error)
    try:
        run_checks()
    except StartupFailed as err:
        return INVALID, str(err)
    return 0, ""


def uvicorn_command(app: str, options: Sequence[str]) -> list[str]:
    """Return the uvicorn command ``prodready serve`` becomes."""
    options = list(options)
    if not {"--proxy-headers", "--no-proxy-headers"} & set(options):
        options.append("--no-proxy-headers")
    if not {"--server-header", "--no-server-header"} & set(options):
        options.append("--no-server-header")  # no "server: uvicorn" for scanners
    return [sys.executable, "-m", "uvicorn", app, *options]


def serve(app: str, options: Sequence[str]) -> int:
    """Check ``app``, then exec uvicorn on it; return a status only on failure."""
    status, message = preflight(app)
    if status:
        print(message, file=sys.stderr, flush=True)
        return status
    command = uvicorn_command(app, options)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)  # noqa: S606 (our own interpreter, no shell)
    return 0  # not reached: execv does not return
