"""A check's line reads back as the same check; outcomes survive their JSON file."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready_loadtest.checks import CheckResult, Outcome, merged

PASSING = CheckResult("reuse.max_backends", True, "7 backends at most", "≤ 8 (2 × 4)", value=7.0)
FAILING = CheckResult(
    "reuse.connections_opened", False, "12 sessions opened", "= 0", "off opens one per request"
)


@pytest.mark.parametrize(
    ("check", "line"),
    [
        (PASSING, "CHECK reuse.max_backends: 7 backends at most (bound ≤ 8 (2 × 4)) PASS"),
        (
            FAILING,
            "CHECK reuse.connections_opened: 12 sessions opened (bound = 0) FAIL: "
            "off opens one per request",
        ),
    ],
    ids=["pass", "fail-with-detail"],
)
def test_line_names_the_measure_the_bound_and_the_verdict(check: CheckResult, line: str) -> None:
    assert check.line() == line


def test_a_passing_check_prints_no_detail() -> None:
    check = CheckResult("x.y", True, "1", "≤ 2", detail="only shown on failure")
    assert check.line() == "CHECK x.y: 1 (bound ≤ 2) PASS"


@pytest.mark.parametrize("check", [PASSING, FAILING], ids=["pass", "fail"])
def test_parse_reads_a_printed_line_back(check: CheckResult) -> None:
    parsed = CheckResult.parse(check.line())
    assert parsed is not None
    assert (parsed.name, parsed.passed, parsed.measured, parsed.bound, parsed.detail) == (
        check.name,
        check.passed,
        check.measured,
        check.bound,
        check.detail,
    )


def test_parse_ignores_other_lines() -> None:
    assert CheckResult.parse("[2026-11-28] INFO/locust.main: Starting Locust") is None


def test_outcome_round_trips_through_its_file(tmp_path: Path) -> None:
    outcome = Outcome(checks=[PASSING, FAILING], metrics={"rps": 412.5})
    outcome.write(tmp_path / "checks.json")

    again = Outcome.read(tmp_path / "checks.json")

    assert again.checks == [PASSING, FAILING]
    assert again.metrics == {"rps": 412.5}
    assert not again.passed
    assert again.get("reuse.max_backends") == PASSING


def test_outcome_from_lines_collects_only_check_lines() -> None:
    lines = ["Starting Locust", PASSING.line(), "Shutting down (exit code 1)", FAILING.line()]
    assert [c.name for c in Outcome.from_lines(lines).checks] == [PASSING.name, FAILING.name]


def test_merged_prefixes_metrics_with_the_scenario() -> None:
    total = merged({"reuse": Outcome([PASSING], {"rps": 1.0}), "probes": Outcome([], {"rps": 2.0})})
    assert total.metrics == {"reuse.rps": 1.0, "probes.rps": 2.0}
    assert total.checks == [PASSING]
