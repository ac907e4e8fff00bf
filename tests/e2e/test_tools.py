"""``make demo`` and the load test keep working: each runs the bot as a separate process."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import demo, loadtest


def test_demo_plays_link_recommend_why(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = demo.main(["--model", str(tmp_path / "none"), "--data", str(tmp_path / "none")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tiny RANDOM-weight model" in out and "built-in list" in out
    assert "Linked to demo\\_user" in out
    assert "Recommendations for demo" in out and "Page 2/" in out
    assert "Rank **#1**" in out, "/why explains the first recommendation"
    assert "everything is shut down" in out


def test_loadtest_reports_latency_and_lag(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = loadtest.main(
        ["--calls", "4", "--model", str(tmp_path / "none"), "--data", str(tmp_path / "none")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "4 concurrent /recommend" in out
    for row in ("answered (reply complete)", "gateway ping, under load", "heartbeat lateness"):
        assert row in out
