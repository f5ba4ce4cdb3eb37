"""Rate limits: drive identities past their rules and check exactly the limit gets through.

Two kinds of identity, each sent its rule's limit plus 10 % (at least 5) more
requests; the test stops by itself once all of them are answered:

- the client address: ``AnonymousOverLimit`` users share one address and read
  ``/api/items/`` under the tightest ``ip`` rule of ``RATELIMIT_RULES`` that
  covers it (the demo's ``GET /api/ 1000/h ip``);
- users: ``TokenOverQuota`` users, one per API token, post CSV files to
  ``/api/ingest/`` under the tightest rule counting users (``user`` or ``user_or_ip``; the demo's
  ``POST /api/ingest/ 100/h user_or_ip``). Tokens come from ``LOADTEST_TOKENS``
  (comma-separated); without it, ``LOADTEST_TOKEN_COUNT`` (default 3) are
  issued at start with the demo's ``issue_token`` command, which needs the
  app's ``DATABASE_URL``.

Checks: ``ratelimit.ip_onset`` (exactly the limit admitted in the window, each
``RateLimit`` remaining value once, the first 429 right after),
``ratelimit.user_quota`` (each token exactly its quota),
``ratelimit.ingest_onset`` (the seed's scenario: a token's 101st ingest is
the first 429), ``ratelimit.retry_after`` (no 429 tells a client to come back
before its window ends) and ``ratelimit.statuses`` (only 2xx and 429, every 2xx
counted). Counters must be fresh: run with a new ``RATELIMIT_KEY_PREFIX``. Every
request opens a connection of its own, so that a set-up whose worker processes
count apart fails at any number of users.

    locust -f loadtests --headless -u 8 -r 8 -t 60s --host http://127.0.0.1:8000 --tags ratelimit
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import gevent
from _common import EXPECT, Scenario, register
from locust import FastHttpUser, constant, tag, task
from locust.env import Environment

from prodready_loadtest.checks import CheckResult
from prodready_loadtest.ratelimit_checks import (
    Answer,
    binding_rule,
    figures,
    onset_check,
    quota_check,
    retry_after_check,
    sequence_check,
    status_check,
)

logger = logging.getLogger("loadtests")
ITEMS, INGEST = "/api/items/", "/api/ingest/"
BOUNDARY = "prodready-loadtest-7f3a"
# A new connection per request: the server's worker processes share the requests
# whatever the number of users, so counters kept per process cannot look exact
# because one user's keep-alive connection stayed with one worker.
FRESH = {"Connection": "close"}
CSV = "title,rights_holder,year\nLoad-test upload,Load Tester,2024\n"
BODY = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename="items.csv"\r\n'
    f"Content-Type: text/csv\r\n\r\n{CSV}\r\n--{BOUNDARY}--\r\n"
)
IP_RULE = binding_rule(EXPECT.rules, "GET", ITEMS, authenticated=False)
USER_RULE = binding_rule(EXPECT.rules, "POST", INGEST, authenticated=True)


def overshoot(limit: int) -> int:
    """Return how many requests past the limit an identity is sent."""
    return max(5, limit // 10)


@dataclass
class Budget:
    """The requests one identity is to send, and its answers."""

    identity: str
    total: int
    sent: int = 0
    answers: list[Answer] = field(default_factory=list)

    def take(self) -> int | None:
        """Return the number of the next request to send, or None when all are sent."""
        if self.sent >= self.total:
            return None
        self.sent += 1
        return self.sent

    @property
    def done(self) -> bool:
        """Tell whether every request has been answered."""
        return len(self.answers) >= self.total


def _budget(identity: str, rule_limit: int | None) -> Budget:
    total = 0 if rule_limit is None or not EXPECT.ratelimit_enabled else rule_limit
    return Budget(identity, total + overshoot(total) if total else 0)


_ip = [_budget("ip", IP_RULE.rate.limit if IP_RULE else None)]
_tokens: list[str] = []
_token_budgets: list[Budget] = []
_next_token = itertools.count()


def _record(budget: Budget, seq: int, status: int, headers: object) -> None:
    get = getattr(headers, "get", None)
    ratelimit = str(get("RateLimit") or "") if get else ""
    retry_after = str(get("Retry-After") or "") if get else ""
    budget.answers.append(Answer(budget.identity, seq, time.time(), status, ratelimit, retry_after))


class AnonymousOverLimit(FastHttpUser):
    """Read the catalogue from one address until past the address's limit."""

    weight = 1
    wait_time = constant(0)

    @tag("ratelimit")
    @task
    def read(self) -> None:
        """Send one of the address's requests, or idle when all are sent."""
        budget = _ip[0]
        seq = budget.take()
        if seq is None:
            gevent.sleep(0.2)
            return
        with self.client.get(
            ITEMS, name=f"{ITEMS} (rate-limited)", headers=FRESH, catch_response=True
        ) as answer:
            if answer.status_code in (200, 429):
                answer.success()
        _record(budget, seq, answer.status_code, answer.headers)


class TokenOverQuota(FastHttpUser):
    """Post CSV files with one API token, one after the other, until past its quota."""

    fixed_count = EXPECT.token_count
    wait_time = constant(0)
    budget: Budget | None = None
    token = ""

    def on_start(self) -> None:
        """Take a token of its own."""
        index = next(_next_token)
        if index < len(_token_budgets):
            self.budget, self.token = _token_budgets[index], _tokens[index]

    @tag("ratelimit")
    @task
    def ingest(self) -> None:
        """Send the token's next upload, or idle when all are sent."""
        seq = self.budget.take() if self.budget else None
        if self.budget is None or seq is None:
            gevent.sleep(0.2)
            return
        headers = {
            **FRESH,
            "Authorization": f"Token {self.token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        }
        with self.client.post(
            INGEST, data=BODY, headers=headers, name=f"{INGEST} (rate-limited)", catch_response=True
        ) as answer:
            if answer.status_code in (201, 429):
                answer.success()
        _record(self.budget, seq, answer.status_code, answer.headers)


def _issue_tokens(count: int) -> list[str]:
    env = {"DJANGO_SETTINGS_MODULE": "demo.settings", **os.environ}
    command = [sys.executable, "-m", "prodready_loadtest.prepare", "--no-migrate"]
    result = subprocess.run(
        [*command, "--items", "0", "--tokens", str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        logger.error("Issuing %d API tokens failed:\n%s", count, result.stderr[-2000:])
        return []
    return [str(token) for token in json.loads(result.stdout.splitlines()[-1])["tokens"]]


def _start(environment: Environment) -> None:
    global _next_token
    _ip[0] = _budget("ip", IP_RULE.rate.limit if IP_RULE else None)
    _tokens[:] = list(EXPECT.tokens) or (_issue_tokens(EXPECT.token_count) if USER_RULE else [])
    limit = USER_RULE.rate.limit if USER_RULE else None
    _token_budgets[:] = [_budget(f"token {i + 1}", limit) for i in range(len(_tokens))]
    _next_token = itertools.count()


def _finished() -> bool:
    return _ip[0].done and all(budget.done for budget in _token_budgets)


def _hint() -> str:
    if EXPECT.workers > 1 and not EXPECT.redis_url:
        return (
            f" (WEB_CONCURRENCY={EXPECT.workers} and no REDIS_URL: each worker process counts "
            "in its own local memory; set REDIS_URL)"
        )
    return ""


def _missing(name: str, what: str) -> CheckResult:
    reason = "RATELIMIT_ENABLED is false" if not EXPECT.ratelimit_enabled else f"no rule {what}"
    return CheckResult(
        name=name,
        passed=False,
        measured=reason,
        bound=f"a rule of RATELIMIT_RULES {what}",
        detail="set RATELIMIT_RULES, e.g. "
        "'POST /api/ingest/ 100/h user_or_ip; GET /api/ 1000/h ip'",
    )


def _evaluate(environment: Environment) -> list[CheckResult]:
    checks: list[CheckResult] = []
    found = []
    if IP_RULE is None or not EXPECT.ratelimit_enabled:
        checks.append(_missing("ratelimit.ip_onset", f"limits anonymous GET {ITEMS} by ip"))
    else:
        ip = figures(_ip[0].answers, IP_RULE)
        found.append(ip)
        checks.append(onset_check("ratelimit.ip_onset", ip, IP_RULE, _hint()))
    if USER_RULE is None or not EXPECT.ratelimit_enabled:
        checks.append(_missing("ratelimit.user_quota", f"limits POST {INGEST} by user"))
    else:
        per_token = {b.identity: figures(b.answers, USER_RULE) for b in _token_budgets}
        found += per_token.values()
        checks.append(quota_check("ratelimit.user_quota", per_token, USER_RULE, _hint()))
        checks.append(sequence_check("ratelimit.ingest_onset", per_token, USER_RULE))
    checks.append(retry_after_check("ratelimit.retry_after", found))
    checks.append(status_check("ratelimit.statuses", found))
    return checks


register(
    Scenario(
        name="ratelimit",
        user_classes=(AnonymousOverLimit, TokenOverQuota),
        start=_start,
        evaluate=_evaluate,
        finished=_finished,
    )
)
