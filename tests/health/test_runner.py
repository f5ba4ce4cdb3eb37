"""The runner: statuses, the deadline, one run of a check at a time, and what is logged."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator

import pytest

from prodready.health.runner import run_checks
from tests.health.fakes import AsyncFakeCheck, FakeCheck, RecordingHandler, recording


@pytest.fixture
def logged() -> Iterator[RecordingHandler]:
    """Capture prodready.health's records."""
    with recording() as handler:
        yield handler


def _run(*checks: object, budget: float = 1.0) -> list[object]:
    return list(asyncio.run(run_checks(checks, budget)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "status", "detail"),
    [
        ("ok", "ok", None),
        ("warn", "warn", "boom at db.internal:5432 for user admin"),
        ("failed", "failed", "boom at db.internal:5432 for user admin"),
        ("raise", "failed", "ConnectionError: boom at db.internal:5432 for user admin"),
    ],
    ids=["ok", "warning", "check-failed", "unexpected-exception"],
)
def test_outcome_becomes_a_status_with_the_detail_kept_aside(
    outcome: str, status: str, detail: str | None
) -> None:
    (result,) = asyncio.run(run_checks([FakeCheck(outcome=outcome)], 1.0))
    assert (result.name, result.status, result.detail) == ("fake", status, detail)
    assert result.component_type == "datastore"
    assert result.observed_at.tzinfo is not None
    assert 0 <= result.seconds < 1


def test_measurements_are_kept() -> None:
    (result,) = asyncio.run(run_checks([FakeCheck(outcome="measure")], 1.0))
    assert [(m.name, m.value, m.unit) for m in result.measurements] == [
        ("connections", 3, "connections")
    ]


def test_passwords_in_error_text_are_masked() -> None:
    check = FakeCheck(outcome="raise", message="could not connect to postgres://app:hunter2@db/x")
    (result,) = asyncio.run(run_checks([check], 1.0))
    assert result.detail is not None
    assert "hunter2" not in result.detail


def test_a_blocked_check_times_out_at_the_deadline_and_the_others_still_report() -> None:
    blocked, fine = FakeCheck(name="blocked", outcome="block"), FakeCheck(name="fine")
    started = time.monotonic()
    try:
        results = asyncio.run(run_checks([blocked, fine], 0.2))
        elapsed = time.monotonic() - started
    finally:
        blocked.release.set()
    assert [(r.name, r.status) for r in results] == [("blocked", "timeout"), ("fine", "ok")]
    assert elapsed < 1  # far below the 30 s the check would block


def test_probes_during_a_hang_join_the_run_in_flight_instead_of_starting_more() -> None:
    blocked = FakeCheck(name="blocked_joined", outcome="block")
    lanes_before = _lanes()
    try:
        statuses = [asyncio.run(run_checks([blocked], 0.05))[0].status for _ in range(10)]
        lanes_during = _lanes()
    finally:
        blocked.release.set()
    assert statuses == ["timeout"] * 10
    assert blocked.runs == 1
    assert lanes_during - lanes_before == {"prodready-health-blocked_joined"}
    # Once the stuck run is over, the next probe starts a new run, in the same thread.
    _until(lambda: asyncio.run(run_checks([blocked], 5.0))[0].status == "ok")
    runs = blocked.runs
    assert asyncio.run(run_checks([blocked], 5.0))[0].status == "ok"
    assert blocked.runs == runs + 1
    assert _lanes() - lanes_before == {"prodready-health-blocked_joined"}


def test_concurrent_runs_from_several_threads_share_one_execution() -> None:
    check = FakeCheck(name="shared", outcome="block")
    results: list[str] = []

    def probe() -> None:
        results.append(asyncio.run(run_checks([check], 2.0))[0].status)

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    check.release.set()
    for thread in threads:
        thread.join()
    assert results == ["ok"] * 8
    assert check.runs == 1


def test_async_checks_run_on_the_loop_and_are_cancelled_at_the_deadline() -> None:
    sleeper, quick = AsyncFakeCheck(name="sleeper", outcome="sleep"), AsyncFakeCheck(name="quick")
    results = asyncio.run(run_checks([sleeper, quick], 0.1))
    assert [(r.name, r.status) for r in results] == [("sleeper", "timeout"), ("quick", "ok")]
    assert sleeper.cancelled == 1


def test_async_exception_is_a_failure() -> None:
    (result,) = asyncio.run(run_checks([AsyncFakeCheck(outcome="raise")], 1.0))
    assert (result.status, result.detail) == ("failed", "ValueError: async boom at 10.0.0.3")


def test_an_outage_is_logged_once_with_its_error_and_once_when_it_ends(
    logged: RecordingHandler,
) -> None:
    check = FakeCheck(name="flaky", outcome="raise")
    for _ in range(3):
        asyncio.run(run_checks([check], 1.0))
    check.outcome = "ok"
    for _ in range(2):
        asyncio.run(run_checks([check], 1.0))
    records = logged.records
    assert logged.messages() == [
        "health check 'flaky' failed: ConnectionError: boom at db.internal:5432 for user admin",
        "health check 'flaky' passes again",
    ]
    assert records[0].levelno == logging.WARNING
    # The traceback of the unexpected error (the redacting filter may have
    # formatted it into exc_text already).
    assert records[0].exc_info is not None or "Traceback" in (records[0].exc_text or "")


def test_a_hang_is_logged_when_it_starts_then_the_late_error_of_the_stuck_run(
    logged: RecordingHandler,
) -> None:
    check = FakeCheck(name="hanging", outcome="block")
    asyncio.run(run_checks([check], 0.05))
    asyncio.run(run_checks([check], 0.05))
    check.outcome = "raise"  # what the stuck run ends with
    check.release.set()
    _until(lambda: len(logged.records) == 2)
    check.release.clear()
    check.outcome = "block"
    asyncio.run(run_checks([check], 0.05))  # timing out again after a failure: not news
    check.release.set()
    assert logged.messages() == [
        "health check 'hanging' timed out: no answer within 0.050 s",
        "health check 'hanging' failed: ConnectionError: boom at db.internal:5432 for user admin",
    ]


def test_a_sync_run_returning_an_awaitable_is_a_failure() -> None:
    class Confused(FakeCheck):
        def run(self) -> object:  # type: ignore[override]
            return asyncio.sleep(0)

    (result,) = asyncio.run(run_checks([Confused(name="confused")], 1.0))
    assert result.status == "failed"
    assert "use 'async def'" in (result.detail or "")


def _lanes() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("prodready-health-")}


def _until(predicate: object, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_an_idle_lane_ends_its_thread_and_the_next_run_starts_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("prodready.health.runner.LANE_IDLE_SECONDS", 0.1)
    check = FakeCheck(name="idle_lane")
    assert asyncio.run(run_checks([check], 1.0))[0].status == "ok"
    _until(lambda: "prodready-health-idle_lane" not in _lanes())
    assert asyncio.run(run_checks([check], 1.0))[0].status == "ok"
    assert check.runs == 2
