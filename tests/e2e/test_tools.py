"""``make demo`` keeps working: it runs the bot as a separate process (the load test:
``test_loadtest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import demo


def test_demo_plays_link_recommend_why(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = demo.main(["--model", str(tmp_path / "none"), "--data", str(tmp_path / "none")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tiny RANDOM-weight model" in out and "built-in list" in out
    assert "Linked to demo\\_user" in out
    assert "Recommendations for demo" in out and "Page 2/" in out
    assert "Rank **#1**" in out, "/why explains the first recommendation"
    assert "everything is shut down" in out
