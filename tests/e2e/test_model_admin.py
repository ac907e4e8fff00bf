"""/model (Manage Server) and the scheduled refresh through the fake Discord: the refresh runs as
its own niced process with bounded threads, its output is logged, what it promotes is swapped
in, and /model shows the served model's training data, evaluation and the refresh report."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from fakes.discord.catalog import CATALOG
from fakes.discord.stack import build_tiny_model
from tests.e2e.conftest import BotFactory, World

METADATA = {
    "score_weight": 0.3,
    "data": {"n_users": 4559, "n_items": 3656, "n_entries": 480_123},
    "validation": {"ndcg@100": 0.5669, "recall@20": 0.5205, "mae": 0.8965},
}
REPORT = {
    "finished_at": "2026-11-29T03:00:00+00:00",
    "promoted": True,
    "candidate": {"recall@20": 0.6012, "ndcg@100": 0.6101},
    "current": {"recall@20": 0.5205, "ndcg@100": 0.5669},
}

# A stand-in for `python -m training refresh` (issue #12's other half): it reports its
# niceness and thread bounds, trains "a model" (copies one), writes the report next to the
# model versions and promotes the new version the way `promote` does.
FAKE_REFRESH = """
import json, os, shutil, sys
models, link, template = sys.argv[1:4]
print(f"refresh: nice={os.nice(0)} threads={os.environ['OMP_NUM_THREADS']}", flush=True)
version = os.path.join(models, "v2")
shutil.copytree(template, version)
with open(os.path.join(models, "last-refresh.json"), "w") as handle:
    json.dump({"promoted": True, "candidate": {"recall@20": 0.61}}, handle)
staged = link + ".new"
os.symlink(version, staged)
os.replace(staged, link)
print("refresh: promoted v2", flush=True)
"""


def with_metadata(source: Path, target: Path) -> Path:
    """A copy of ``source`` whose manifest carries training metadata (the manifest is not
    among the files it checksums)."""
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["metadata"] = METADATA
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


async def test_model_shows_the_served_model_and_the_last_refresh(
    world: World, start_bot: BotFactory, tmp_path: Path, model_path: Path
) -> None:
    models = tmp_path / "models"
    v1 = with_metadata(model_path, models / "v1")
    (models / "last-refresh.json").write_text(json.dumps(REPORT))
    link = tmp_path / "model"
    link.symlink_to(v1, target_is_directory=True)
    await start_bot(model_path=link)

    with pytest.raises(PermissionError):  # Discord hides /model from ordinary members
        await world.slash(world.alice, "model")
    shown = await world.slash(world.admin, "model")
    assert shown.ephemeral
    text = shown.text
    assert str(v1) in text
    assert "4,559 users" in text and "3,656 titles" in text, text
    assert "recall@20 0.5205" in text and "ndcg@100 0.5669" in text
    assert "Last refresh report" in text and "promoted: True" in text
    assert "candidate: recall@20 0.6012" in text


async def test_no_model_and_no_report_say_so(
    world: World, start_bot: BotFactory, tmp_path: Path
) -> None:
    await start_bot(model_path=tmp_path / "model")
    shown = await world.slash(world.admin, "model")
    assert "No model is loaded" in shown.text and "make model" in shown.text
    assert "Last refresh report" not in shown.text


async def test_scheduled_refresh_runs_niced_and_its_model_goes_live(
    world: World, start_bot: BotFactory, tmp_path: Path, model_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    models = tmp_path / "models"
    v1 = with_metadata(model_path, models / "v1")
    link = tmp_path / "model"
    link.symlink_to(v1, target_is_directory=True)
    template = build_tiny_model(tmp_path / "template", CATALOG[:20], seed=5)
    script = tmp_path / "fake_refresh.py"
    script.write_text(FAKE_REFRESH)
    bot = await start_bot(
        model_path=link,
        model_watch_seconds=0.1,
        model_refresh_days=0.01,  # due at once (no report yet), then not again in this test
        model_refresh_threads=1,
        model_refresh_command=f"python {script} {models} {{model_path}} {template}",
    )
    services = bot.services
    deadline = asyncio.get_running_loop().time() + 20
    refresher = services.model_refresher
    while services.model_watcher.swaps < 1 or refresher.running or refresher.last_exit is None:
        assert asyncio.get_running_loop().time() < deadline, caplog.text
        await asyncio.sleep(0.1)
    assert services.pool.recommender.n_items == 20
    assert "model refresh: refresh: nice=10 threads=1" in caplog.text
    assert "model refresh: refresh: promoted v2" in caplog.text
    assert "model refresh: finished" in caplog.text
    assert sys.executable in caplog.text  # `python` is the bot's own interpreter

    shown = await world.slash(world.admin, "model")
    assert str(models / "v2") in shown.text
    assert "every 0.01 days" in shown.text and "exit 0" in shown.text, shown.text
    assert "candidate: recall@20 0.61" in shown.text
    assert "Swapped in live" in shown.text
