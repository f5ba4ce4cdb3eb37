"""Parsing RATELIMIT_RULES and matching requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready.ratelimit import Rate, RuleError, parse_rules


def test_the_design_example_parses() -> None:
    ingest, api = parse_rules("POST /api/ingest/ 100/h user; GET /api/ 1000/h ip")
    assert (ingest.methods, ingest.prefix, ingest.rate, ingest.key) == (
        frozenset({"POST"}),
        "/api/ingest/",
        Rate(100, 3600),
        "user",
    )
    assert (api.methods, api.prefix, api.rate, api.key) == (
        frozenset({"GET"}),
        "/api/",
        Rate(1000, 3600),
        "ip",
    )


def test_methods_and_key_are_optional() -> None:
    (rule,) = parse_rules("/api/ 10/m")
    assert rule.methods == frozenset()
    assert rule.key == "user_or_ip"
    assert rule.matches("DELETE", "/api/x")


def test_several_methods() -> None:
    (rule,) = parse_rules("get,Post /x/ 1/s ip")
    assert rule.methods == frozenset({"GET", "POST"})
    assert rule.matches("POST", "/x/1")
    assert not rule.matches("PUT", "/x/1")
    assert not rule.matches("GET", "/y/")


def test_a_get_rule_covers_head_and_nothing_else() -> None:
    (get,) = parse_rules("GET /x/ 1/s ip")
    (post,) = parse_rules("POST /x/ 1/s ip")
    assert [get.matches(m, "/x/") for m in ("GET", "HEAD", "POST")] == [True, True, False]
    assert [post.matches(m, "/x/") for m in ("GET", "HEAD", "POST")] == [False, False, True]
    assert get.methods == frozenset({"GET"})  # as written: names and policies do not change


def test_empty_rules_and_blank_pieces() -> None:
    assert parse_rules("") == ()
    assert len(parse_rules(" ; GET /a/ 1/s ; ")) == 1


def test_rule_names_are_stable_and_distinct() -> None:
    first = parse_rules("GET /a/ 1/s ip; GET /a/ 1/s user")
    again = parse_rules("GET /a/ 1/s ip; GET /a/ 1/s user")
    assert [r.name for r in first] == [r.name for r in again]
    assert first[0].name != first[1].name
    assert first[0].name.startswith("ip-")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "FETCH /a/ 1/s",
            "rule 1 'FETCH /a/ 1/s': 'FETCH' is not a comma-separated list of HTTP "
            "methods (GET, POST, ...) nor a path starting with '/'",
        ),
        (
            "GET /a/ 1/x",
            "rule 1 'GET /a/ 1/x': the rate '1/x' is not N/[k]unit or 'N per [k] unit' "
            "(units s, sec, second, m, min, minute, h, hour, d, day), e.g. 100/h, 5/10m, "
            "1000/day, 10/second or '60 per minute'",
        ),
        (
            "GET /a/ 1/s ipv4",
            "rule 1 'GET /a/ 1/s ipv4': the key 'ipv4' is not one of ip, user, user_or_ip, "
            "header:<name>, or a dotted path to a function",
        ),
        ("GET /a/", "rule 1 'GET /a/' should read '[METHODS] PATH_PREFIX RATE [KEY]'"),
        (
            "GET /a/ 1/s ip extra",
            "rule 1 'GET /a/ 1/s ip extra' should read '[METHODS] PATH_PREFIX RATE [KEY]'",
        ),
        ("/ok/ 1/s; GET a/ 1/s", "rule 2 'GET a/ 1/s': the path prefix 'a/' must start with '/'"),
    ],
    ids=["bad-method", "bad-rate", "bad-key", "missing-rate", "extra-piece", "second-rule"],
)
def test_bad_rule_names_the_rule_and_the_piece(text: str, message: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rules(text)
    assert str(info.value) == message


def test_the_rules_are_parsed_once_for_validation_and_the_middleware(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from django.test import override_settings

    from prodready import load_profile
    from prodready.ratelimit import rules
    from prodready.ratelimit.process import get_rules

    calls: list[str] = []
    original = rules.parse_rule
    monkeypatch.setattr(
        rules, "parse_rule", lambda text, i=1: calls.append(text) or original(text, i)
    )
    text = f"GET /once-{tmp_path.name}/ 5/m ip; POST /once-{tmp_path.name}/ 1/m"
    profile = load_profile(
        {"RATELIMIT_RULES": text, "PRODREADY_SECRETS_DIR": str(tmp_path)}, base_dir=tmp_path
    )
    with override_settings(PRODREADY=profile.django_settings()["PRODREADY"]):
        served = get_rules()
    assert len(calls) == 2  # two rules, each parsed once
    assert served is parse_rules(text)
