"""SignalDrain: draining starts on the signal; the server hears of it after the delay."""

from __future__ import annotations

import asyncio
import signal
import threading
from types import FrameType

import pytest

from prodready.drain import SignalDrain
from prodready.lifecycle import is_draining
from tests.servers import base_env, run_python

pytestmark = pytest.mark.usefixtures("clean_process")


class ServerHandler:
    """Stands in for the server's own handler (uvicorn's ``handle_exit``)."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self)

    def __call__(self, sig: int, frame: FrameType | None) -> None:
        self.calls.append(sig)


async def _until(predicate: object, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


def test_sigterm_drains_at_once_and_reaches_the_server_after_the_delay() -> None:
    server = ServerHandler()

    async def scenario() -> tuple[bool, list[int]]:
        drain = SignalDrain(asyncio.get_running_loop(), delay=0.2)
        assert drain.install()
        signal.raise_signal(signal.SIGTERM)
        at_once = (is_draining(), list(server.calls))
        await _until(lambda: server.calls)
        drain.uninstall()
        return at_once

    assert asyncio.run(scenario()) == (True, [])
    assert server.calls == [signal.SIGTERM]


@pytest.mark.parametrize(
    ("delay", "signals"),
    [
        (0, [signal.SIGTERM]),
        (30, [signal.SIGINT]),
        (30, [signal.SIGTERM, signal.SIGTERM]),
    ],
    ids=["no-delay", "sigint", "second-sigterm"],
)
def test_signal_reaches_the_server_at_once(delay: float, signals: list[int]) -> None:
    server = ServerHandler()

    async def scenario() -> None:
        drain = SignalDrain(asyncio.get_running_loop(), delay=delay)
        drain.install()
        for sig in signals:
            signal.raise_signal(sig)
        drain.uninstall()

    asyncio.run(scenario())

    assert is_draining()
    assert server.calls == signals[-1:]


def test_the_delayed_hand_over_is_dropped_after_a_second_signal_went_through() -> None:
    server = ServerHandler()

    async def scenario() -> None:
        drain = SignalDrain(asyncio.get_running_loop(), delay=0.1)
        drain.install()
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.sleep(0.3)  # past the delay
        drain.uninstall()

    asyncio.run(scenario())

    assert server.calls == [signal.SIGTERM]


def test_uninstall_puts_the_replaced_handlers_back() -> None:
    server = ServerHandler()

    async def scenario() -> None:
        drain = SignalDrain(asyncio.get_running_loop(), delay=1)
        drain.install()
        assert drain.installed
        assert signal.getsignal(signal.SIGTERM) is not server
        drain.uninstall()
        assert not drain.installed

    asyncio.run(scenario())

    assert signal.getsignal(signal.SIGTERM) is server
    assert signal.getsignal(signal.SIGINT) is server
    assert not is_draining()


def test_outside_the_main_thread_nothing_is_installed() -> None:
    server = ServerHandler()
    installed: list[bool] = []

    def in_thread() -> None:
        loop = asyncio.new_event_loop()
        try:
            installed.append(SignalDrain(loop, delay=1).install())
        finally:
            loop.close()

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()

    assert installed == [False]
    assert signal.getsignal(signal.SIGTERM) is server


# A child process: SignalDrain in front of a stand-in server handler; then
# SIGTERM and SIGINT raised at every line run while handling the first one
# (inside start_draining, inside whatever it calls, inside the nested
# handlers), up to 50. A handler that took a lock (threading.Event.set does)
# would wait forever on the lock its interrupted caller holds.
_NESTED_SIGNALS = """
import asyncio, json, signal, sys
from prodready import lifecycle
from prodready.drain import SignalDrain

calls = []
for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, lambda s, f: calls.append(s))
loop = asyncio.new_event_loop()
drain = SignalDrain(loop, delay=0)
assert drain.install()
raised = 0

def line_tracer(frame, event, arg):
    global raised
    if event == "line" and raised < 50:
        raised += 1
        signal.raise_signal(signal.SIGINT if raised % 2 else signal.SIGTERM)
    return line_tracer

sys.settrace(lambda frame, event, arg: line_tracer)
signal.raise_signal(signal.SIGTERM)
sys.settrace(None)
print(json.dumps({"raised": raised, "draining": lifecycle.is_draining(), "heard": len(calls)}))
"""


def test_signals_landing_inside_the_signal_handler_never_deadlock() -> None:
    out = run_python(_NESTED_SIGNALS, base_env(), timeout=60)  # a deadlock fails here
    assert isinstance(out["raised"], int)
    assert out["raised"] >= 20  # nested signals did land
    assert out["draining"] is True
    assert out["heard"] == out["raised"] + 1  # every signal reached the server's handler


def test_draining_state_is_set_without_a_lock() -> None:
    # The lock-held reproduction of the deadlock (hold the Event's lock, raise
    # the signal) has nothing to hold: the state is a plain boolean.
    from prodready import lifecycle

    assert not [
        name
        for name, value in vars(lifecycle).items()
        if isinstance(value, threading.Event | type(threading.Lock()) | threading.Condition)
    ]
