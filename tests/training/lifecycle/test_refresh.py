"""refresh: build, train, compare with the live model on the newest lists, promote if not worse."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from training.__main__ import main as cli
from training.configs import TrainConfig
from training.dataset import DatasetOptions
from training.lifecycle.refresh import RefreshSettings, decide, newest_users, run_refresh
from training.sources import MergedLists

from .samples import fetch, write_collected, write_sample

TINY = TrainConfig(
    name="tiny",
    encoder=(16, 8),
    decoder=(16,),
    batch_size=16,
    max_steps=4,
    eval_every=2,
    patience=5,
    graft_lambdas=(1.0, 10.0),
    learning_rate=1e-2,
)
OPTIONS = DatasetOptions(min_item_users=2, min_user_entries=3)


def collected(tmp_path: Path) -> Path:
    base = datetime(2026, 6, 1, tzinfo=UTC)
    return write_collected(
        tmp_path / "collected",
        [
            fetch(
                f"user{i}",
                (base + timedelta(days=i)).isoformat(),
                [(99001, 8), (1 + i % 15, 7), (2 + i % 13, 6), (16 + i % 14, 9), (30, 5)],
            )
            for i in range(30)
        ],
    )


def test_newest_users_are_the_latest_lists() -> None:
    from model.profile import ProfileEntry

    merged = MergedLists()
    entries = [ProfileEntry(a, 5) for a in range(1, 6)]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(10):
        merged.offer(f"mal:u{i}", entries, t0 + timedelta(days=i), "c")
    merged.offer("k:1", entries, None, "kaggle")
    merged.offer("mal:short", entries[:2], t0 + timedelta(days=99), "c")  # too short to test
    assert newest_users(merged, 0.3, 1000, 3) == ["mal:u9", "mal:u8", "mal:u7"]
    assert newest_users(merged, 0.3, 2, 3) == ["mal:u9", "mal:u8"]


def test_decide_tolerates_a_small_drop_only() -> None:
    assert decide({"ndcg@100": 0.5}, None, 0.005)
    assert decide({"ndcg@100": 0.496}, {"ndcg@100": 0.5}, 0.005)
    assert not decide({"ndcg@100": 0.49}, {"ndcg@100": 0.5}, 0.005)


def test_refresh_cli_promotes_the_first_model_and_reports(tmp_path: Path) -> None:
    live = tmp_path / "artifacts" / "model"
    out = tmp_path / "refresh"
    args = ["refresh", "--data", str(write_sample(tmp_path / "anime-5k")), "--data"]
    args += [str(collected(tmp_path)), "--model", str(live), "--out", str(out)]
    flags = ["--min-item-users", "2", "--min-user-entries", "3", "--max-steps", "2", "--quiet"]
    assert cli([*args, *flags]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["promoted"] and live.is_symlink() and report["live_version"] is None
    assert report["side_channel"].startswith("side channel calibrated"), report["side_channel"]
    assert (live.resolve() / "coldstart.json").is_file()  # travels with the promoted model
    assert (live.resolve() / "ratings.npz").is_file()  # so does the fitted rating model
    assert report["held_out"]["users"] == 3  # 10 % of the 30 dated (collected) lists
    assert report["held_out"]["rule"] == "latest list times"
    assert set(report["results"]) == {"candidate"}
    assert (out / "report.md").read_text().startswith("# Model refresh")


def test_a_worse_candidate_is_not_promoted(tmp_path: Path) -> None:
    from model.artifact import load_artifact

    live = tmp_path / "model"
    data = (str(write_sample(tmp_path / "anime-5k")), str(collected(tmp_path)))
    quick = {"progress": False, "side_channel": False}  # the CLI test covers the side channel
    first = RefreshSettings(data, live, tmp_path / "r1", TINY, OPTIONS, **quick)
    assert run_refresh(first, log=lambda _: None)["promoted"]
    before = os.readlink(live)
    assert 99001 in load_artifact(live.resolve()).corpus_ids  # the new title entered
    # A tolerance below zero asks the candidate to beat the live model by a whole unit.
    second = RefreshSettings(data, live, tmp_path / "r2", TINY, OPTIONS, tolerance=-1.0, **quick)
    report = run_refresh(second, log=lambda _: None)
    assert not report["promoted"] and report["decision"].startswith("kept")
    assert os.readlink(live) == before
    assert set(report["results"]) == {"candidate", "live"}
    assert report["results"]["live"]["reachable"] > 0
    # The summary the bot's /model reads, where it looks for it.
    from bot.services.modelinfo import report_paths

    summary = json.loads(report_paths(live)[0].read_text())
    assert summary["decision"] == report["decision"] and summary["promoted"] is False
    assert set(summary["live"]) == {"n_items", "reachable", "recall@20", "ndcg@100"}
    md = (tmp_path / "r2" / "report.md").read_text()
    assert "| live |" in md and "| candidate |" in md and "Decision: kept" in md


def test_without_data_the_bots_sources_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from training.lifecycle.refresh import SHIPPED_DATA, default_sources

    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert default_sources() == [str(SHIPPED_DATA)]  # no collected lists, no database yet
    (tmp_path / "data" / "collected").mkdir(parents=True)
    (tmp_path / "bot.db").touch()
    assert default_sources() == [str(SHIPPED_DATA), "data/collected", url]
    assert SHIPPED_DATA.is_dir()
