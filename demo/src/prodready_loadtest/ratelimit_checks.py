"""Judge rate-limited answers: exactly the limit admitted per window, consistent headers.

The answers of one identity (a client address, or a token's user) are judged
against the rule that binds it. The server's own ``RateLimit`` header says,
on every answer, how much of that rule's quota is left (``r``) and when its
window ends (``t``): admitted answers of one window must show each remaining
value from ``limit - 1`` down to 0 exactly once (a value seen twice means two
counters, e.g. one per worker process), and the first refusal comes right
after the last of them. Windows are fixed and aligned to the epoch (see the
README), so each answer's window is known from ``t``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prodready.ratelimit.rules import Rule
from prodready_loadtest.checks import CheckResult

# Retry-After is whole seconds and the clocks of client and server may differ a little.
RETRY_AFTER_TOLERANCE = 1.0


@dataclass(frozen=True, slots=True)
class Answer:
    """One response to a rate-limited request, as the load generator saw it.

    Attributes:
        identity: Whose quota the request spent (``ip`` or a token's label).
        seq: The request's number in the order this identity sent them, from 1.
        received_at: When the answer arrived (``time.time()``).
        status: The HTTP status.
        ratelimit: The ``RateLimit`` header, or ``""``.
        retry_after: The ``Retry-After`` header, or ``""``.
    """

    identity: str
    seq: int
    received_at: float
    status: int
    ratelimit: str = ""
    retry_after: str = ""


def members(header: str) -> dict[str, dict[str, int]]:
    """Parse ``"name";r=1;t=2, "other";r=...`` into ``{name: {"r": 1, "t": 2}}``.

    Malformed parameters are skipped; the checks then see them as missing.
    """
    parsed: dict[str, dict[str, int]] = {}
    for member in header.split(","):
        name, *params = (piece.strip() for piece in member.split(";"))
        if not name:
            continue
        values: dict[str, int] = {}
        for param in params:
            key, _, raw = param.partition("=")
            if raw.lstrip("-").isdigit():
                values[key.strip()] = int(raw)
        parsed[name.strip('"')] = values
    return parsed


def describe(rule: Rule) -> str:
    """Return ``rule`` as written in ``RATELIMIT_RULES``, e.g. ``GET /api/ 1000/h ip``."""
    methods = ",".join(sorted(rule.methods))
    return f"{methods + ' ' if methods else ''}{rule.prefix} {rule.rate} {rule.key}"


def binding_rule(rules: Iterable[Rule], method: str, path: str, authenticated: bool) -> Rule | None:
    """Return the rule with the smallest limit among those counting this kind of request."""
    keys = ("user", "user_or_ip") if authenticated else ("ip", "user_or_ip")
    matching = [rule for rule in rules if rule.key in keys and rule.matches(method, path)]
    return min(matching, key=lambda rule: rule.rate.limit, default=None)


@dataclass(frozen=True, slots=True)
class Figures:
    """What one identity's answers show about one rule."""

    sent: int
    admitted: int  # 2xx in the first window that refused anything (else the first window)
    refused: int  # 429 in that window
    onset: int | None  # the position (in that window) of the first 429, counted by the server
    repeated: int  # admitted answers whose remaining value another admitted one had too
    first_remaining: int | None  # the highest remaining value seen on an admitted answer
    uncounted: int  # 2xx without the rule's RateLimit member (served without counting)
    unexpected: int  # statuses other than 2xx and 429
    first_refused_seq: int | None  # the identity's request number of its first 429
    admitted_after_refusal: int  # 2xx sent after the first 429, same window
    retry_margins: tuple[float, ...]  # received_at + Retry-After - window end, per 429
    inconsistent_headers: int  # 429 whose Retry-After and t disagree, or whose r is not 0


def _window(answer: Answer, rule: Rule, member: dict[str, int] | None) -> int | None:
    seconds = member.get("t") if member else None
    if seconds is None and answer.retry_after.isdigit():
        seconds = int(answer.retry_after)
    if seconds is None:
        return None
    return round((answer.received_at + seconds) / rule.rate.period)


def figures(answers: Sequence[Answer], rule: Rule) -> Figures:
    """Compute the figures of one identity's answers under ``rule``."""
    by_window: dict[int | None, list[tuple[Answer, dict[str, int] | None]]] = defaultdict(list)
    uncounted = unexpected = inconsistent = 0
    margins: list[float] = []
    for answer in answers:
        member = members(answer.ratelimit).get(rule.name)
        window = _window(answer, rule, member)
        if answer.status == 429 or 200 <= answer.status < 300:
            by_window[window].append((answer, member))
        else:
            unexpected += 1
        if 200 <= answer.status < 300 and member is None:
            uncounted += 1
        if answer.status == 429 and window is not None:
            retry = int(answer.retry_after) if answer.retry_after.isdigit() else 0
            margins.append(answer.received_at + retry - window * rule.rate.period)
            if member is None or member.get("r") != 0 or abs(member.get("t", -9) - retry) > 1:
                inconsistent += 1
    windows = sorted((w for w in by_window if w is not None), key=int)
    refusing = [w for w in windows if any(a.status == 429 for a, _ in by_window[w])]
    chosen = refusing[0] if refusing else (windows[0] if windows else None)
    in_window = sorted(by_window.get(chosen, []), key=lambda pair: pair[0].seq)
    admitted = [(a, m) for a, m in in_window if a.status != 429]
    remaining = Counter(m["r"] for _, m in admitted if m is not None and "r" in m)
    first_refused = next((a.seq for a, _ in in_window if a.status == 429), None)
    return Figures(
        sent=len(answers),
        admitted=len(admitted),
        refused=len(in_window) - len(admitted),
        onset=len(admitted) + 1 if first_refused is not None else None,
        repeated=sum(count - 1 for count in remaining.values()),
        first_remaining=max(remaining) if remaining else None,
        uncounted=uncounted,
        unexpected=unexpected,
        first_refused_seq=first_refused,
        admitted_after_refusal=sum(
            1 for a, _ in admitted if first_refused is not None and a.seq > first_refused
        ),
        retry_margins=tuple(margins),
        inconsistent_headers=inconsistent,
    )


def _problem(found: Figures, rule: Rule, hint: str) -> str:
    """Say in one sentence why ``found`` is not exactly ``rule``'s limit, or ``""``."""
    limit = rule.rate.limit
    if found.sent <= limit:
        return (
            f"only {found.sent} requests were sent, not past the limit of {limit}; "
            "raise --duration or lower the rule's limit"
        )
    if found.first_remaining is not None and found.first_remaining < limit - 1:
        return (
            f"the counter was not fresh (first remaining value {found.first_remaining}, "
            f"expected {limit - 1}); use a new RATELIMIT_KEY_PREFIX or wait for the window to end"
        )
    if found.unexpected:
        return (
            f"{found.unexpected} answers were neither 2xx nor 429, and spent the quota "
            "without being admitted (see Locust's failures)"
        )
    if found.repeated:
        return (
            f"{found.repeated} admitted answers repeat a remaining value another one had: "
            f"requests were counted by more than one counter{hint}"
        )
    if found.onset is None:
        return f"no request was refused although {found.sent} were sent{hint}"
    if found.uncounted:
        return (
            f"{found.uncounted} answers were served without being counted (no RateLimit "
            "member): the store did not answer within RATELIMIT_TIMEOUT and the limiter "
            "failed open"
        )
    return ""


def onset_check(name: str, found: Figures, rule: Rule, hint: str = "") -> CheckResult:
    """Hold one identity to exactly ``rule``'s limit, with the first 429 right after it."""
    limit = rule.rate.limit
    problem = _problem(found, rule, hint)
    passed = not problem and found.admitted == limit and found.onset == limit + 1
    if not problem and not passed:
        problem = f"{found.admitted} were admitted in the window where the limit is {limit}"
    onset = f"first 429 at request {found.onset}" if found.onset else "no 429"
    return CheckResult(
        name=name,
        passed=passed,
        measured=f"{found.admitted} admitted, {onset} in the window ({found.sent} sent)",
        bound=f"exactly {limit} admitted, 429 from request {limit + 1}; rule '{describe(rule)}'",
        detail=problem,
        value=float(found.onset) if found.onset else None,
    )


def quota_check(name: str, found: dict[str, Figures], rule: Rule, hint: str = "") -> CheckResult:
    """Hold every token to exactly its quota under a ``user`` rule."""
    limit = rule.rate.limit
    problems = [f"{label}: {p}" for label, f in found.items() if (p := _problem(f, rule, hint))]
    wrong = [label for label, f in found.items() if f.admitted != limit or f.onset != limit + 1]
    if wrong and not problems:
        problems = [f"{label} had {found[label].admitted} admitted" for label in wrong]
    admitted = ", ".join(str(f.admitted) for f in found.values()) or "none"
    return CheckResult(
        name=name,
        passed=bool(found) and not problems and not wrong,
        measured=f"{len(found)} tokens admitted {admitted}",
        bound=f"exactly {limit} each; rule '{describe(rule)}'",
        detail="; ".join(problems) or ("no token was used" if not found else ""),
    )


def sequence_check(name: str, found: dict[str, Figures], rule: Rule) -> CheckResult:
    """The seed's scenario: a token's ``limit + 1``-th request in sending order is the first 429."""
    limit = rule.rate.limit
    firsts = {label: f.first_refused_seq for label, f in found.items()}
    late = sum(f.admitted_after_refusal for f in found.values())
    wrong = [f"{label}: {seq or 'none'}" for label, seq in firsts.items() if seq != limit + 1]
    shown = sorted({str(seq or "none") for seq in firsts.values()}) or ["none"]
    return CheckResult(
        name=name,
        passed=bool(found) and not wrong and not late,
        measured=f"first 429 at request {', '.join(shown)} of each token; {late} admitted after it",
        bound=f"request {limit + 1} is the first 429, and none admitted after",
        detail=(
            f"first 429 per token: {', '.join(wrong)}" if wrong else f"{late} admitted after a 429"
        )
        if found
        else "no token was used",
    )


def retry_after_check(name: str, found: Iterable[Figures]) -> CheckResult:
    """Every 429's Retry-After points at or after the end of its window, and agrees with t."""
    margins = [m for f in found for m in f.retry_margins]
    inconsistent = sum(f.inconsistent_headers for f in found)
    worst = min(margins, default=None)
    passed = worst is not None and worst >= -RETRY_AFTER_TOLERANCE and not inconsistent
    if worst is None:
        detail = "no 429 was answered"
    elif inconsistent:
        detail = f"{inconsistent} 429s had Retry-After ≠ t or r ≠ 0 in RateLimit"
    else:
        detail = f"a client retrying after Retry-After would come back {-worst:.1f} s too early"
    return CheckResult(
        name=name,
        passed=passed,
        measured=f"{len(margins)} 429s, Retry-After ends {worst:+.1f} s from the window's end "
        "at worst"
        if worst is not None
        else "no 429s",
        bound=f"≥ -{RETRY_AFTER_TOLERANCE:.0f} s, Retry-After = t of RateLimit, r = 0",
        detail=detail,
        value=worst,
    )


def status_check(name: str, found: Iterable[Figures]) -> CheckResult:
    """Every answer is 2xx or 429, and every 2xx was counted (carries RateLimit)."""
    found = list(found)
    unexpected = sum(f.unexpected for f in found)
    uncounted = sum(f.uncounted for f in found)
    return CheckResult(
        name=name,
        passed=not unexpected and not uncounted,
        measured=f"{unexpected} answers other than 2xx/429, {uncounted} 2xx without RateLimit",
        bound="0 and 0",
        detail="see Locust's failures for the statuses; 2xx without RateLimit were not counted",
        value=float(unexpected + uncounted),
    )
