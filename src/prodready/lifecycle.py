"""Process lifecycle state shared by the ASGI app and the health views.

The state is a plain module attribute, not a ``threading.Event``: it is set
from a signal handler, which runs in the main thread between two bytecodes of
whatever the thread was doing. An Event takes a lock to set; a second signal
landing while the first handler held that lock would wait on it forever.
Assigning a boolean takes no lock and is atomic under the GIL.
"""

from __future__ import annotations

_draining = False


def start_draining() -> None:
    """Mark this process as shutting down: readiness answers 503 from now on.

    Safe to call from a signal handler: it takes no lock.
    """
    global _draining
    _draining = True


def is_draining() -> bool:
    """Tell whether this process is shutting down."""
    return _draining


def reset() -> None:
    """Clear the draining state (for tests and for a process that starts serving again)."""
    global _draining
    _draining = False
