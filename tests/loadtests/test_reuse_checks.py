"""Connection reuse is judged from the server's samples: backends at most, sessions opened."""

from __future__ import annotations

from prodready_loadtest.reuse_checks import connection_figures, max_backends_check, opened_check
from prodready_loadtest.sampler import Sample

POOL = ((101, 10.0), (102, 10.1), (103, 10.2), (104, 10.3))


def _samples(*later: tuple[float, int, tuple[tuple[int, float], ...]]) -> list[Sample]:
    return [
        Sample(at=11.0, sessions=4, backends=POOL),
        Sample(at=12.0, sessions=4, backends=POOL, kind="mark"),
        *[Sample(at=at, sessions=s, backends=b) for at, s, b in later],
    ]


def test_a_pool_that_keeps_its_connections_opens_none_after_warm_up() -> None:
    found = connection_figures(_samples((12.5, 4, POOL), (13.0, 4, POOL)))

    assert (found.max_backends, found.opened_after_warmup) == (4, 0)
    assert max_backends_check(found, 8, "2 × 4", "native").passed
    assert opened_check(found, 0, "reuse", "native").passed


def test_short_sessions_between_samples_are_counted_by_pg_stat_database() -> None:
    # A connection per request: backends come and go between samples.
    found = connection_figures(_samples((12.5, 90, ((201, 12.4),)), (13.0, 170, ())))
    check = opened_check(found, 0, "reuse", "off")

    assert found.sessions_opened == 166
    assert found.new_backends_seen == 1
    assert not check.passed
    assert check.value == 166
    assert "DB_POOL_MODE=off opens a connection for every request" in check.detail


def test_backends_over_the_bound_fail_and_name_the_cause() -> None:
    many = tuple((300 + n, 12.2) for n in range(12))
    check = max_backends_check(connection_figures(_samples((12.5, 16, many))), 8, "2 × 4", "off")
    assert not check.passed
    assert check.measured == "12 backends at most in 3 samples"
    assert "4 more backends than the bound" in check.detail


def test_without_a_warm_up_mark_the_opened_check_fails_clearly() -> None:
    found = connection_figures([Sample(at=1.0, sessions=1, backends=())])
    check = opened_check(found, 0, "reuse", "native")
    assert found.opened_after_warmup is None
    assert not check.passed
    assert "run longer than the warm-up" in check.detail


def test_pgbouncer_may_open_up_to_its_pool_size() -> None:
    grown = (*POOL, (105, 12.6), (106, 12.7))
    found = connection_figures(_samples((13.0, 6, grown)))
    assert found.opened_after_warmup == 2
    assert opened_check(found, 8, "pgbouncer's pool", "pgbouncer").passed
