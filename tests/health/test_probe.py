"""The probe: one run per cache period, shared by concurrent callers; extras; names."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from prodready.health import Probe, Report
from tests.health.fakes import FakeCheck


def _settings(timeout: float = 0.5, cache: float = 5.0) -> dict[str, Any]:
    return {"HEALTH": {"TIMEOUT": timeout, "CACHE_SECONDS": cache, "TOKEN": None}}


@pytest.fixture
def health_settings() -> Iterator[None]:
    """A 0.5 s deadline and a 5 s cache period."""
    with override_settings(PRODREADY=_settings()):
        yield


def _report(probe: Probe) -> Report:
    return asyncio.run(probe.report())


@pytest.mark.usefixtures("health_settings")
def test_a_storm_of_concurrent_probes_costs_one_run() -> None:
    check = FakeCheck(name="storm")
    probe = Probe([check])

    async def storm() -> list[Report]:
        return await asyncio.gather(*(probe.report() for _ in range(200)))

    reports = asyncio.run(storm())
    assert check.runs == 1
    assert len({id(report) for report in reports}) == 1


@pytest.mark.usefixtures("health_settings")
def test_probes_from_other_threads_wait_for_the_run_in_flight() -> None:
    check = FakeCheck(name="threads", outcome="block")
    probe = Probe([check])
    reports: list[Report] = []
    threads = [threading.Thread(target=lambda: reports.append(_report(probe))) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    check.release.set()
    for thread in threads:
        thread.join()
    assert check.runs == 1
    assert [r.results[0].status for r in reports] == ["ok"] * 8


@override_settings(PRODREADY=_settings(cache=0.2))
def test_the_report_is_reused_for_the_cache_period_then_renewed() -> None:
    check = FakeCheck(name="cached")
    probe = Probe([check])
    first, second = _report(probe), _report(probe)
    assert first is second
    time.sleep(0.25)
    assert _report(probe) is not first
    assert check.runs == 2


@override_settings(PRODREADY=_settings(cache=0))
def test_no_cache_period_runs_every_time() -> None:
    check = FakeCheck(name="uncached")
    probe = Probe([check])
    for _ in range(3):
        _report(probe)
    assert check.runs == 3


@override_settings(PRODREADY=_settings(timeout=0.2))
def test_a_hung_check_fails_the_report_at_the_deadline() -> None:
    hung, fine = FakeCheck(name="hung", outcome="block"), FakeCheck(name="fine")
    probe = Probe([hung, fine])
    started = time.monotonic()
    try:
        report = _report(probe)
        elapsed = time.monotonic() - started
    finally:
        hung.release.set()
    assert [(r.name, r.status) for r in report.results] == [("hung", "timeout"), ("fine", "ok")]
    assert not report.passing
    assert elapsed < 0.2 + 0.1


@pytest.mark.usefixtures("health_settings")
def test_a_warning_passes_and_a_failure_does_not() -> None:
    assert _report(Probe([FakeCheck(name="w", outcome="warn")])).passing
    assert not _report(Probe([FakeCheck(name="f", outcome="failed")])).passing


@pytest.mark.usefixtures("health_settings")
def test_the_requester_going_away_does_not_break_the_run_for_the_others() -> None:
    check = FakeCheck(name="abandoned", outcome="block")
    probe = Probe([check])

    async def scenario() -> Report:
        owner = asyncio.create_task(probe.report())
        await asyncio.sleep(0.05)
        waiter = asyncio.create_task(probe.report())
        await asyncio.sleep(0.05)
        owner.cancel()
        check.release.set()
        return await waiter

    assert _report_of(scenario()).results[0].status == "ok"
    assert check.runs == 1


def _report_of(coroutine: Any) -> Report:
    result: Report = asyncio.run(coroutine)
    return result


@pytest.mark.usefixtures("health_settings")
def test_extras_add_values_and_never_decide_the_status() -> None:
    def broken() -> int:
        raise RuntimeError("no table")

    probe = Probe([FakeCheck(name="db")], extras={"items": lambda: 42, "broken": broken})
    report = _report(probe)
    assert report.passing
    assert dict(report.extras) == {"items": 42, "broken": None}
    assert [result.name for result in report.results] == ["db"]


@pytest.mark.parametrize(
    ("checks", "extras"),
    [
        ([FakeCheck(name="same"), FakeCheck(name="same")], {}),
        ([FakeCheck(name="has:colon")], {}),
        ([FakeCheck(name="db")], {"db": lambda: 1}),
        ([FakeCheck(name="db")], {"status": lambda: 1}),
    ],
    ids=["duplicate", "colon", "extra-named-like-a-check", "reserved-field"],
)
def test_names_must_be_unique_and_plain(checks: list[FakeCheck], extras: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="name"):
        Probe(checks, extras)
