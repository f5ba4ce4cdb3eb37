"""``prodready loadtest``'s options, and the command line a comparison records."""

from __future__ import annotations

import argparse

import pytest

from prodready.cli import build_parser
from prodready_loadtest.command import SHORT_RULES, command_line, options_from
from prodready_loadtest.scenarios import DEMO_RULES


def _parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["loadtest", *argv])


def test_defaults_are_the_demo_with_two_workers_on_every_scenario() -> None:
    options = options_from(_parse())
    assert (options.workers, options.users, options.duration) == (2, 20, 20.0)
    assert options.scenarios == ("pooling", "reuse", "probes", "ratelimit")
    assert options.rules == DEMO_RULES
    assert (options.pool_min, options.pool_max, options.store) == (4, 4, "redis")


def test_short_is_the_ci_version() -> None:
    options = options_from(_parse("--short"))
    assert options.duration == 4.0
    assert options.rules == SHORT_RULES
    assert "POST /api/ingest/ 100/h user_or_ip" in SHORT_RULES


@pytest.mark.parametrize(
    ("text", "seconds"), [("20", 20.0), ("20s", 20.0), ("2m", 120.0), ("1.5", 1.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert _parse("--duration", text).duration == seconds


@pytest.mark.parametrize(
    ("text", "scenarios"),
    [("reuse", ("reuse",)), ("ratelimit,reuse", ("ratelimit", "reuse")), ("all", None)],
)
def test_scenarios(text: str, scenarios: tuple[str, ...] | None) -> None:
    expected = scenarios or ("pooling", "reuse", "probes", "ratelimit")
    assert _parse("--scenario", text).scenario == expected


@pytest.mark.parametrize(
    "argv",
    [("--scenario", "probe"), ("--duration", "soon"), ("--duration", "0"), ("--pool-mode", "x")],
    ids=["scenario", "duration", "zero", "mode"],
)
def test_bad_values_are_refused(argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse(*argv)
    assert "loadtest" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("--compare",), "uv run prodready loadtest --compare"),
        (
            ("--compare", "--duration", "30", "--scenario", "reuse,probes", "--users", "40"),
            "uv run prodready loadtest --users 40 --duration 30 --scenario reuse,probes --compare",
        ),
    ],
    ids=["plain", "options"],
)
def test_command_line_repeats_the_run(argv: tuple[str, ...], expected: str) -> None:
    assert command_line(_parse(*argv)) == expected
