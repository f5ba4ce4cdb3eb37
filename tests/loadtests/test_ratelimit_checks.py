"""Rate-limit answers are judged exactly: the limit, each remaining value once, Retry-After."""

from __future__ import annotations

import pytest

from prodready.ratelimit.rules import Rule, parse_rules
from prodready_loadtest.ratelimit_checks import (
    Answer,
    binding_rule,
    describe,
    figures,
    members,
    onset_check,
    quota_check,
    retry_after_check,
    sequence_check,
    status_check,
)

RULES = parse_rules("POST /api/ingest/ 100/h user; GET /api/ 1000/h ip; GET /api/items/ 5/m ip")
RULE = parse_rules("GET /api/ 10/h ip")[0]
# 1000 s into an hour-long window (windows are aligned to the epoch).
NOW = 1_800_000_000.0 - 2600.0
WINDOW_END = 1_800_000_000.0


def _answer(seq: int, status: int, remaining: int, rule: Rule = RULE, **extra: str) -> Answer:
    left = int(WINDOW_END - NOW)
    header = f'"{rule.name}";r={remaining};t={left}'
    return Answer(
        "ip",
        seq,
        NOW,
        status,
        ratelimit=extra.get("ratelimit", header),
        retry_after=extra.get("retry_after", str(left) if status == 429 else ""),
    )


def exact(limit: int = 10, extra: int = 3) -> list[Answer]:
    """What one shared counter answers: remaining counts down, then 429s."""
    admitted = [_answer(i, 200, limit - i) for i in range(1, limit + 1)]
    return admitted + [_answer(limit + i, 429, 0) for i in range(1, extra + 1)]


def test_members_parses_the_draft_header() -> None:
    assert members('"ip-1a2b";r=3;t=17, "user-9f";r=0;t=5') == {
        "ip-1a2b": {"r": 3, "t": 17},
        "user-9f": {"r": 0, "t": 5},
    }


def test_members_skips_malformed_parameters() -> None:
    assert members('"a";r=x;t=2, ') == {"a": {"t": 2}}


@pytest.mark.parametrize(
    ("method", "path", "authenticated", "expected"),
    [
        ("GET", "/api/items/", False, "GET /api/items/ 5/m ip"),
        ("GET", "/api/other/", False, "GET /api/ 1000/h ip"),
        ("POST", "/api/ingest/", True, "POST /api/ingest/ 100/h user"),
        ("POST", "/api/ingest/", False, None),
    ],
    ids=["tightest-ip", "broader-ip", "user", "anonymous-post"],
)
def test_binding_rule_is_the_tightest_of_the_matching_kind(
    method: str, path: str, authenticated: bool, expected: str | None
) -> None:
    rule = binding_rule(RULES, method, path, authenticated)
    assert (describe(rule) if rule else None) == expected


def test_one_shared_counter_passes_with_the_first_429_right_after_the_limit() -> None:
    found = figures(exact(), RULE)
    check = onset_check("ratelimit.ip_onset", found, RULE)

    assert (found.admitted, found.refused, found.onset, found.repeated) == (10, 3, 11, 0)
    assert check.passed, check.line()
    assert check.value == 11


def test_two_counters_fail_saying_remaining_values_repeat() -> None:
    # Two worker processes counting in their own memory: each admits 10.
    two = [_answer(i, 200, 10 - (i + 1) // 2) for i in range(1, 21)]
    found = figures(two, RULE)
    check = onset_check("ratelimit.ip_onset", found, RULE, hint=" (set REDIS_URL)")

    assert not check.passed
    assert found.admitted == 20
    assert "more than one counter (set REDIS_URL)" in check.detail


def test_too_few_requests_fail_saying_to_run_longer() -> None:
    check = onset_check("x", figures(exact()[:8], RULE), RULE)
    assert not check.passed
    assert "not past the limit of 10" in check.detail


def test_a_stale_counter_is_named_as_such() -> None:
    stale = [_answer(i, 200, 7 - i) for i in range(1, 8)] + [_answer(8, 429, 0)] * 4
    check = onset_check("x", figures(stale, RULE), RULE)
    assert not check.passed
    assert "not fresh" in check.detail


def test_uncounted_answers_fail_the_statuses_check() -> None:
    answers = exact()
    answers[0] = Answer("ip", 1, NOW, 200)  # no RateLimit header: served without counting
    check = status_check("ratelimit.statuses", [figures(answers, RULE)])
    assert not check.passed
    assert check.measured.endswith("1 2xx without RateLimit")


def test_errors_spend_the_quota_and_say_so() -> None:
    answers = exact()
    answers[3] = _answer(4, 500, 0, ratelimit="")
    found = figures(answers, RULE)
    assert not onset_check("x", found, RULE).passed
    assert "neither 2xx nor 429" in onset_check("x", found, RULE).detail
    assert not status_check("x", [found]).passed


def test_a_new_window_starts_a_new_count() -> None:
    later = [
        Answer("ip", a.seq + 13, a.received_at + 3600, a.status, a.ratelimit, a.retry_after)
        for a in exact()
    ]
    found = figures(exact() + later, RULE)
    assert (found.admitted, found.onset) == (10, 11)


@pytest.mark.parametrize(
    ("retry_after", "passed"),
    [(str(int(WINDOW_END - NOW)), True), (str(int(WINDOW_END - NOW) - 5), False)],
    ids=["at-the-window-end", "5-s-early"],
)
def test_retry_after_must_not_point_before_the_window_end(retry_after: str, passed: bool) -> None:
    answers = [*exact()[:10], _answer(11, 429, 0, retry_after=retry_after)]
    check = retry_after_check("ratelimit.retry_after", [figures(answers, RULE)])
    assert check.passed is passed, check.line()


def test_per_token_quota_and_the_seeds_101st_ingest() -> None:
    user = parse_rules("POST /api/ingest/ 100/h user")[0]
    tokens = {
        f"token {n}": figures(
            [_answer(i, 201, 100 - i, user) for i in range(1, 101)]
            + [_answer(101 + i, 429, 0, user) for i in range(10)],
            user,
        )
        for n in (1, 2, 3)
    }
    assert quota_check("ratelimit.user_quota", tokens, user).passed
    sequence = sequence_check("ratelimit.ingest_onset", tokens, user)
    assert sequence.passed
    assert sequence.measured.startswith("first 429 at request 101 of each token")


def test_a_token_admitted_after_its_first_429_fails_the_sequence() -> None:
    user = parse_rules("POST /api/ingest/ 3/h user")[0]
    answers = [
        _answer(1, 201, 2, user),
        _answer(2, 201, 1, user),
        _answer(3, 429, 0, user),
        _answer(4, 201, 0, user),
        _answer(5, 429, 0, user),
    ]
    check = sequence_check("x", {"token 1": figures(answers, user)}, user)
    assert not check.passed
    assert "token 1: 3" in check.detail
