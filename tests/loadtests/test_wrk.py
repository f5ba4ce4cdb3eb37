"""wrk's report is read as wrk prints it: throughput, p99 in any unit, failed requests."""

from __future__ import annotations

import pytest

from prodready_loadtest.wrk import WrkError, WrkResult, parse_wrk, wrk_command

# As wrk 4.1 prints it with --latency (a run against a server answering 404).
REPORT = """\
Running 1s test @ http://127.0.0.1:18777/nope
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.29ms    1.13ms  16.23ms   92.52%
    Req/Sec     0.88k    47.28     0.97k    63.64%
  Latency Distribution
     50%    2.12ms
     75%    2.49ms
     90%    3.03ms
     99%    {p99}
  1926 requests in 1.10s, 0.96MB read
{errors}Requests/sec:   1749.66
Transfer/sec:      0.87MB
"""


@pytest.mark.parametrize(
    ("p99", "errors", "expected"),
    [
        ("6.68ms", "", WrkResult(1749.66, 6.68, 1926)),
        ("1.20s", "", WrkResult(1749.66, 1200.0, 1926)),
        ("850.00us", "", WrkResult(1749.66, 0.85, 1926)),
        (
            "6.68ms",
            "  Socket errors: connect 0, read 2, write 0, timeout 3\n"
            "  Non-2xx or 3xx responses: 1926\n",
            WrkResult(1749.66, 6.68, 1926, non_2xx=1926, socket_errors=5),
        ),
    ],
    ids=["ms", "seconds", "microseconds", "failures"],
)
def test_the_report_is_read(p99: str, errors: str, expected: WrkResult) -> None:
    found = parse_wrk(REPORT.format(p99=p99, errors=errors))
    assert found.rps == expected.rps
    assert found.p99_ms == pytest.approx(expected.p99_ms)
    assert (found.requests, found.non_2xx, found.socket_errors) == (
        expected.requests,
        expected.non_2xx,
        expected.socket_errors,
    )
    assert found.errors == expected.non_2xx + expected.socket_errors


def test_a_report_without_latency_distribution_is_refused() -> None:
    with pytest.raises(WrkError, match="no report with a p99"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_the_command_is_the_documented_one() -> None:
    command = wrk_command("wrk", "http://h/", threads=2, connections=16, duration=10.0)
    assert command == ["wrk", "-t2", "-c16", "-d10s", "--latency", "http://h/"]
    assert wrk_command("wrk", "u", threads=2, connections=1, duration=0.4)[1:4] == [
        "-t1",
        "-c1",
        "-d1s",
    ]
