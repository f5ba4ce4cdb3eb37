"""The serving harness: its schedule, what it needs before it starts, and where it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready_loadtest import serving
from prodready_loadtest.serving import main, schedule, write_docs
from prodready_loadtest.serving_report import SECTION, markdown, serving_block
from tests.loadtests.test_serving_report import PAGE, fake_run


def test_schedule_rotates_the_servers_from_round_to_round() -> None:
    order = [(n, a.name, s.name) for n, a, s in schedule(3)]
    per_round = 3 * 3  # servers × apps
    assert len(set(order)) == len(order) == 3 * per_round
    assert [order[i] for i in (0, 1, 2, 3)] == [
        (1, "items", "prodready"),
        (1, "items", "gunicorn"),
        (1, "items", "django"),
        (1, "select1", "prodready"),
    ]
    second, third = order[per_round : per_round + 3], order[2 * per_round : 2 * per_round + 3]
    assert [server for _, _, server in second] == ["gunicorn", "django", "prodready"]
    assert [server for _, _, server in third] == ["django", "prodready", "gunicorn"]


def test_without_wrk_it_says_so_in_one_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(serving, "find_wrk", lambda: None)
    assert main(["--rounds", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "serving comparison: wrk is not installed (apt-get install wrk).\n"


def test_write_docs_puts_the_block_in_the_page_and_the_chart_beside_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs" / "performance.md"
    docs.parent.mkdir()
    docs.write_text(PAGE)
    assert write_docs(fake_run(), docs) == tmp_path / "docs" / "serving.png"
    page = docs.read_text()
    assert page.index("## Targets") < page.index(SECTION) < page.index("## Per mode")
    assert serving_block(page) == markdown(fake_run())
    assert (tmp_path / "docs" / "serving.png").read_bytes()[:4] == b"\x89PNG"
