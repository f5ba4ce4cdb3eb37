"""A probe storm is judged by status, answer time and how often the checks ran."""

from __future__ import annotations

import pytest

from prodready_loadtest.probe_checks import (
    ProbeAnswer,
    check_runs_check,
    latency_check,
    percentile,
    status_check,
)


def _storm(
    stamps: int, count: int = 100, status: int = 200, seconds: float = 0.01
) -> list[ProbeAnswer]:
    return [
        ProbeAnswer(status, seconds, f"2026-11-28T00:00:{i % stamps:02d}.000Z")
        for i in range(count)
    ]


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 0.99) == 99.0


@pytest.mark.parametrize(
    ("statuses", "passed"),
    [((200, 503), True), ((200, 500), False), ((), False)],
    ids=["200-and-503", "a-500", "no-probes"],
)
def test_only_200_and_503_are_answers(statuses: tuple[int, ...], passed: bool) -> None:
    answers = [ProbeAnswer(status, 0.01, None) for status in statuses]
    assert status_check(answers).passed is passed


def test_an_answer_later_than_health_timeout_fails() -> None:
    answers = [*_storm(1, 10), ProbeAnswer(200, 0.9, None)]
    check = latency_check(answers, 0.8)
    assert not check.passed
    assert check.measured.startswith("slowest 900 ms")
    assert "1 later than HEALTH_TIMEOUT" in check.measured


def test_check_runs_are_bounded_by_the_cache_per_worker() -> None:
    # 10 s, 2 workers, 1 s cache: at most 2 × (10 + 1) runs.
    assert check_runs_check(_storm(22), 10.0, 2, 1.0).passed
    failing = check_runs_check(_storm(23), 10.0, 2, 1.0)
    assert not failing.passed
    assert failing.bound.startswith("≤ 22 ")


def test_without_a_cache_every_probe_may_run_the_checks() -> None:
    assert check_runs_check(_storm(100), 10.0, 2, 0.0).passed
