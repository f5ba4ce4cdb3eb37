"""Start draining the moment the server is told to stop, before it stops listening.

uvicorn handles SIGTERM by closing its listening socket, waiting for in-flight
requests (up to ``--timeout-graceful-shutdown``) and only then sending the
ASGI ``lifespan.shutdown`` event: too late to tell a load balancer anything.
:class:`SignalDrain` sits in front of the server's own handler. On SIGTERM it
marks the process as draining at once (readiness answers 503), keeps serving
for ``HEALTH_DRAIN_SECONDS`` while load balancers take the instance out of
rotation, and then hands the signal to the server, which finishes the
requests in flight and shuts down.

A second SIGTERM, and SIGINT (Ctrl-C), reach the server at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from prodready.lifecycle import start_draining

logger = logging.getLogger("prodready.drain")

SIGNALS = (signal.SIGTERM, signal.SIGINT)

Handler = Callable[[int, FrameType | None], Any] | int | None


class SignalDrain:
    """Install handlers that start draining, then chain to the handlers they replace.

    Args:
        loop: The server's event loop; the delayed hand-over is scheduled on it.
        delay: Seconds to keep serving after the first SIGTERM.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self._loop = loop
        self._delay = delay
        self._previous: dict[int, Handler] = {}
        self._delaying = False
        self._handed_over = False

    @property
    def installed(self) -> bool:
        """Tell whether the handlers are in place."""
        return bool(self._previous)

    def install(self) -> bool:
        """Put the handlers in place; return False where signals cannot be handled.

        Python delivers signals to the main thread only, so a server that runs
        the application in another thread keeps its own handling.
        """
        if threading.current_thread() is not threading.main_thread():
            return False
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return True

    def uninstall(self) -> None:
        """Put the replaced handlers back (where ours are still in place)."""
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._on_signal:
                signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        # Runs in the main thread between two bytecodes of whatever the loop was
        # doing: only flag and schedule here; log and act from the loop.
        start_draining()
        delay = sig == signal.SIGTERM and self._delay > 0 and not self._delaying
        try:
            self._loop.call_soon_threadsafe(self._announce, sig, delay)
            if delay:
                self._delaying = True
                self._loop.call_soon_threadsafe(
                    self._loop.call_later, self._delay, self._hand_over_late, sig
                )
                return
        except RuntimeError:  # the loop is closed: the server is gone already
            pass
        self._hand_over(sig)

    def _announce(self, sig: int, delay: bool) -> None:
        name = signal.Signals(sig).name
        if delay:
            logger.info(
                "Received %s: draining (readiness answers 503); serving %s s more "
                "before shutting down.",
                name,
                self._delay,
            )
        else:
            logger.info("Received %s: draining (readiness answers 503), shutting down.", name)

    def _hand_over_late(self, sig: int) -> None:
        if not self._handed_over:  # else a second signal went through during the delay
            self._hand_over(sig)

    def _hand_over(self, sig: int) -> None:
        self._handed_over = True
        previous = self._previous.get(sig)
        if callable(previous):
            previous(sig, None)
        elif previous == signal.SIG_DFL and sig == signal.SIGINT:
            raise KeyboardInterrupt
        elif previous == signal.SIG_DFL:
            # Nobody handled it before us: do what the default would have done.
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)
