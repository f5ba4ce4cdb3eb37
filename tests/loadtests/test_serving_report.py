"""The serving comparison's figures and words, from fake measurements: no server, no wrk."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready_loadtest.serving_chart import write_serving_chart
from prodready_loadtest.serving_report import (
    BEGIN,
    END,
    PLACEHOLDER,
    SECTION,
    markdown,
    measurement_text,
    serving_block,
    summary_text,
    with_serving_block,
)
from prodready_loadtest.serving_results import Measurement, ServingOptions, ServingRun, targets
from prodready_loadtest.wrk import WrkResult
from tests.loadtests.test_report import MACHINE

# (round, app, server) -> (req/s, p99 ms); round 2 of Django's ASGI handler had failures.
FIGURES = {
    (1, "items", "prodready"): (420.0, 40.0),
    (1, "items", "gunicorn"): (400.0, 50.0),
    (1, "items", "django"): (200.0, 90.0),
    (2, "items", "prodready"): (380.0, 44.0),
    (2, "items", "gunicorn"): (400.0, 40.0),
    (2, "items", "django"): (150.0, 95.0),
    (3, "items", "prodready"): (440.0, 42.0),
    (3, "items", "gunicorn"): (400.0, 45.0),
    (3, "items", "django"): (200.0, 80.0),
    (1, "select1", "prodready"): (1200.0, 20.0),
    (1, "select1", "gunicorn"): (900.0, 30.0),
}


def fake_run() -> ServingRun:
    run = ServingRun(
        ServingOptions(), "uv run python -m prodready_loadtest.serving", MACHINE, "4.1"
    )
    for (number, app, server), (rps, p99) in FIGURES.items():
        failed = 7 if (number, server) == (2, "django") else 0
        result = WrkResult(rps=rps, p99_ms=p99, requests=int(rps * 10), non_2xx=failed)
        run.measurements.append(Measurement(number, app, server, result=result))
    run.measurements.append(
        Measurement(1, "select1", "django", error="uvicorn exited with status 3; its log ends:")
    )
    run.load_after = (2.5, 2.1, 2.0)
    return run


def test_ratios_are_taken_within_rounds_and_failed_runs_do_not_count() -> None:
    run = fake_run()
    assert run.ratios("items", "prodready", "gunicorn") == [1.05, 0.95, 1.1]
    # Round 2 of django had failed requests: neither its figures nor its ratio count.
    assert run.by_round("items", "django", "rps") == {1: 200.0, 3: 200.0}
    assert run.ratios("items", "prodready", "django") == [2.1, 2.2]
    assert run.median("items", "prodready", "p99_ms") == 42.0
    assert [(m.round, m.app, m.server) for m in run.failed()] == [
        (2, "items", "django"),
        (1, "select1", "django"),
    ]


def test_targets_hold_prodready_to_gunicorn_and_django_on_the_catalogue() -> None:
    found = {t.name: t for t in targets(fake_run())}
    rps = found["prodready req/s / gunicorn gthread (WSGI) req/s, GET /api/items/"]
    assert (rps.measured, rps.wanted, rps.met) == (
        "1.05× (0.95 to 1.10 over 3 rounds); 420 / 400 req/s",
        "≥ 1×",
        True,
    )
    django = found["prodready req/s / Django ASGI (uvicorn) req/s, GET /api/items/"]
    assert (django.measured, django.met) == (
        "2.15× (2.10 to 2.20 over 2 rounds); 420 / 200 req/s",
        True,
    )
    p99 = found["prodready p99 / gunicorn gthread (WSGI) p99, GET /api/items/"]
    # 40/50, 44/40, 42/45: the median round is no slower than gunicorn.
    assert (p99.measured, p99.wanted, p99.met) == (
        "0.93× (0.80 to 1.10 over 3 rounds); 42.0 / 45.0 ms",
        "≤ 1×",
        True,
    )


@pytest.mark.parametrize(
    ("measurement", "text"),
    [
        (
            Measurement(1, "items", "gunicorn", WrkResult(812.4, 31.25, 8124)),
            "812 req/s, p99 31.2 ms",
        ),
        (
            Measurement(
                1, "items", "django", WrkResult(900.0, 5.0, 9000, non_2xx=10, socket_errors=2)
            ),
            "900 req/s, p99 5.0 ms, 12 of 9000 requests failed (10 non-2xx, 2 socket errors): "
            "not counted",
        ),
        (
            Measurement(1, "items", "django", error="gunicorn was not ready after 60 s; its log"),
            "did not run: gunicorn was not ready after 60 s; its log",
        ),
    ],
    ids=["counted", "failed-requests", "did-not-run"],
)
def test_a_measurement_is_one_line(measurement: Measurement, text: str) -> None:
    assert measurement_text(measurement) == text


def test_the_summary_gives_rounds_medians_ratios_and_targets() -> None:
    text = summary_text(fake_run())
    assert "GET /api/items/: the demo's catalogue" in text
    assert "  prodready ASGI (uvicorn)  420, 380, 440" in text
    assert "  Django ASGI (uvicorn)     200, -, 200" in text
    assert "prodready / Django ASGI (uvicorn): req/s 2.15× (2.10 to 2.20 over 2 rounds)" in text
    assert "2 measurement(s) not counted:" in text
    assert "round 1, select1, django: did not run: uvicorn exited with status 3" in text
    assert "TARGET prodready p99 / gunicorn gthread (WSGI) p99, GET /api/items/: 0.93×" in text
    assert text.rstrip().endswith("(wanted ≤ 1×) met")


def test_the_markdown_has_method_machine_targets_and_a_table_per_app() -> None:
    text = markdown(fake_run())
    assert "```sh\nuv run python -m prodready_loadtest.serving\n```" in text
    assert "`wrk -t2 -c16 -d10s --latency`" in text
    assert "`staging` profile" in text
    assert "2 CPUs, x86_64" in text
    assert "wrk 4.1" in text
    assert "| prodready req/s / gunicorn gthread (WSGI) req/s, GET /api/items/ | 1.05×" in text
    assert "| prodready ASGI (uvicorn) | 420, 380, 440 | 420 | 40.0, 44.0, 42.0 | 42.0 |" in text
    assert "**GET /loadtest/select1/**" in text
    assert "| Django ASGI (uvicorn) | 2.15× (2.10 to 2.20 over 2 rounds) |" in text
    assert "](serving.png)" in text
    assert BEGIN not in text
    assert END not in text


PAGE = "# Performance\n\n## Targets\n\n| target |\n|---|\n\n## Per mode\n\nrows\n"


def test_the_block_goes_after_the_targets_then_is_replaced_in_place() -> None:
    first = with_serving_block(PAGE, "first results")
    assert first.index("## Targets") < first.index(SECTION) < first.index("## Per mode")
    assert serving_block(first) == "first results"
    second = with_serving_block(first, "second results")
    assert serving_block(second) == "second results"
    assert second.count(SECTION) == 1
    assert second.replace("second", "first") == first


def test_a_page_without_targets_gets_the_block_at_its_end() -> None:
    page = with_serving_block("# Performance\n\ntext\n", "results")
    assert page.endswith(f"{SECTION}\n\n{BEGIN}\nresults\n{END}\n")
    assert serving_block("no markers here") is None
    assert PLACEHOLDER.startswith("(Not measured yet")


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    write_serving_chart(fake_run(), tmp_path / "serving.png")
    assert (tmp_path / "serving.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
