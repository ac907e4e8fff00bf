"""promote: the one way a model goes live (atomic symlink swap, refusal, keep-last-3)."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from model.artifact import load_artifact, save_artifact
from model.recommender import Recommender
from model.reference import NetworkConfig, random_weights
from training.__main__ import main as cli
from training.lifecycle.promote import PromoteError, live_version, promote, versions

T0 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def artifact(directory: Path, n: int = 30, seed: int = 0) -> Path:
    config = NetworkConfig(n, encoder=(16, 8), decoder=(16,))
    ids = np.arange(500, 500 + n, dtype=np.int64)
    return save_artifact(
        directory,
        config=config,
        weights=random_weights(config, seed=seed),
        corpus_ids=ids,
        item_counts=np.arange(n, 0, -1),
        items=[{"anime_id": int(a), "title": f"T{a}", "media_type": "tv"} for a in ids],
        metadata={"seed": seed},
    )


def seed_of(model_path: Path) -> int:
    # Resolved once, as a reader must: files read through the link could mix two versions.
    return int(load_artifact(model_path.resolve()).metadata["seed"])


def test_creates_model_path_as_a_link_to_a_stamped_version(tmp_path: Path) -> None:
    live = tmp_path / "artifacts" / "model"
    done = promote(artifact(tmp_path / "cand", seed=1), live, now=T0)
    assert live.is_symlink()
    assert os.readlink(live) == "models/model-20261129T120000Z"
    assert done.live == tmp_path / "artifacts" / "models" / "model-20261129T120000Z"
    assert done.previous is None and seed_of(live) == 1
    Recommender.load(live).close()


def test_swap_is_atomic_and_keeps_the_last_three(tmp_path: Path) -> None:
    live = tmp_path / "model"
    for k in range(5):
        promote(artifact(tmp_path / f"c{k}", seed=k), live, now=T0 + timedelta(hours=k))
        assert seed_of(live) == k
    names = [v.name for v in versions(live)]
    assert names == [f"model-20261129T{h}0000Z" for h in (14, 15, 16)]
    assert live_version(live) == versions(live)[-1].resolve()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp links left


def test_a_reader_always_sees_a_whole_model_during_swaps(tmp_path: Path) -> None:
    live = tmp_path / "model"
    candidates = [artifact(tmp_path / f"c{k}", seed=k) for k in range(2)]
    promote(candidates[0], live, now=T0)
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(seed_of(live))  # raises if MODEL_PATH is ever missing or half there

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for k in range(1, 7):
            promote(candidates[k % 2], live, now=T0 + timedelta(minutes=k))
    finally:
        stop.set()
        reader.join()
    assert seen and set(seen) <= {0, 1}


@pytest.mark.parametrize("damage", ["truncate", "flip", "nan", "version", "empty"])
def test_a_broken_candidate_is_refused_and_the_live_link_untouched(
    tmp_path: Path, damage: str
) -> None:
    live = tmp_path / "model"
    promote(artifact(tmp_path / "good", seed=1), live, now=T0)
    before = os.readlink(live)
    bad = artifact(tmp_path / "bad", seed=2)
    weight = next((bad / "weights").iterdir())
    if damage == "truncate":
        weight.write_bytes(weight.read_bytes()[:-8])
    elif damage == "flip":
        data = bytearray(weight.read_bytes())
        data[-1] ^= 0xFF
        weight.write_bytes(bytes(data))
    elif damage == "nan":
        config = NetworkConfig(30, encoder=(16, 8), decoder=(16,))
        weights = random_weights(config, seed=3)
        name = next(iter(weights))
        weights[name] = np.full_like(weights[name], np.nan)
        with pytest.raises(ValueError, match="not finite"):
            save_artifact(
                bad,
                config=config,
                weights=weights,
                corpus_ids=np.arange(1, 31),
                item_counts=np.ones(30),
            )
        # save_artifact refuses NaN itself: write one by hand past it.
        np.save(weight, np.full(np.load(weight).shape, np.nan, np.float32))
    elif damage == "version":
        manifest = json.loads((bad / "manifest.json").read_text())
        manifest["format_version"] = 99
        (bad / "manifest.json").write_text(json.dumps(manifest))
    else:
        bad = tmp_path / "empty"
        bad.mkdir()
    with pytest.raises(PromoteError, match="refused"):
        promote(bad, live, now=T0 + timedelta(hours=1))
    assert os.readlink(live) == before and seed_of(live) == 1
    assert [v.name for v in versions(live)] == ["model-20261129T120000Z"]


def test_an_old_install_directory_is_moved_into_the_versions(tmp_path: Path) -> None:
    live = artifact(tmp_path / "model", seed=7)  # a real directory, as `train --out` left it
    done = promote(artifact(tmp_path / "cand", seed=8), live, now=T0 + timedelta(days=400))
    assert live.is_symlink() and seed_of(live) == 8
    old = [v for v in versions(live) if v != done.live]
    assert len(old) == 1 and done.previous == old[0].resolve()
    assert int(load_artifact(old[0]).metadata["seed"]) == 7


def test_promoting_an_installed_version_rolls_back_without_a_copy(tmp_path: Path) -> None:
    live = tmp_path / "model"
    promote(artifact(tmp_path / "a", seed=1), live, now=T0)
    promote(artifact(tmp_path / "b", seed=2), live, now=T0 + timedelta(hours=1))
    first = versions(live)[0]
    promote(first, live)
    assert seed_of(live) == 1 and len(versions(live)) == 2


def test_cli_refusal_is_one_sentence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "model"
    assert cli(["promote", str(artifact(tmp_path / "a")), "--to", str(live)]) == 0
    assert cli(["promote", str(tmp_path / "nothing"), "--to", str(live)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "live model is unchanged" in err and "not found" in err


def test_train_refuses_to_write_into_the_live_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "model"
    promote(artifact(tmp_path / "a", seed=1), live, now=T0)
    assert cli(["train", "--data", str(tmp_path / "nothing"), "--out", str(live)]) == 2
    assert "live model link" in capsys.readouterr().err and seed_of(live) == 1
