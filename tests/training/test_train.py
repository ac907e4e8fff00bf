"""A short training run on synthetic users: artifact, evaluation, resume, reproducibility."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from model.artifact import load_artifact
from model.catalog import Catalog
from model.catalog.titles import CatalogTitle
from model.profile import ProfileEntry
from training.__main__ import main as cli
from training.configs import TrainConfig
from training.dataset import DatasetOptions, build_dataset
from training.evaluate import evaluate_artifact
from training.train import export, run_training

TINY = TrainConfig(
    name="tiny",
    encoder=(16, 8),
    decoder=(16,),
    batch_size=16,
    max_steps=6,
    eval_every=3,
    patience=5,
    graft_lambdas=(1.0, 10.0),
    learning_rate=1e-2,
)
OPTIONS = DatasetOptions(min_item_users=2, min_user_entries=3)


def test_smoke_run_writes_a_loadable_artifact(
    tmp_path: Path, profiles: dict[int, list[ProfileEntry]]
) -> None:
    dataset = build_dataset(profiles, OPTIONS)
    result, metadata = run_training(dataset, TINY, checkpoint_dir=tmp_path / "ck", progress=False)
    assert result.steps == 6 and [h["step"] for h in result.history] == [0, 3, 6]
    path = export(result, dataset, metadata, tmp_path / "model")
    artifact = load_artifact(path)
    assert artifact.config.item_item and artifact.config.n_items == dataset.n_items
    assert np.array_equal(artifact.corpus_ids, dataset.corpus_ids)
    assert artifact.items[0]["anime_id"] == int(dataset.corpus_ids[0])
    assert 0.0 <= artifact.metadata["score_weight"] <= 1.0
    assert "ndcg@100" in artifact.metadata["validation"]
    assert metadata["item_item"] == "dlae" and len(metadata["item_item_validation_ndcg"]) == 4
    assert metadata["residual_scale"] in (0.0, 0.25, 0.5, 1.0)
    # A catalog of the synthetic ids (no relations): the shipped one takes seconds to index.
    titles = [CatalogTitle(int(a), f"anime {a}") for a in dataset.corpus_ids]
    report = evaluate_artifact(path, dataset, catalog=Catalog.from_titles(titles))
    assert {"model", "ease", "popularity"} <= report["results"].keys()
    assert "| graft + network (first stage, as trained) |" in report["table"]


def test_same_seed_same_weights_and_resume(
    tmp_path: Path, profiles: dict[int, list[ProfileEntry]]
) -> None:
    dataset = build_dataset(profiles, OPTIONS)
    config = TINY.with_overrides(graft_kind="ease", patience=100)
    a, _ = run_training(dataset, config, progress=False)
    b, _ = run_training(dataset, config, progress=False)
    wa, wb = a.network.to_weights(), b.network.to_weights()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    # Stop after 3 steps, resume to 6: same history and best weights as one run of 6.
    ck = tmp_path / "ck"
    run_training(dataset, config.with_overrides(max_steps=3), checkpoint_dir=ck, progress=False)
    resumed, _ = run_training(dataset, config, checkpoint_dir=ck, resume=True, progress=False)
    assert resumed.steps == 6
    assert [h["step"] for h in resumed.history] == [0, 3, 6]
    assert np.allclose(resumed.history[-1]["loss"], a.history[-1]["loss"], rtol=1e-5)
    wr = resumed.network.to_weights()
    assert all(np.allclose(wr[k], wa[k], atol=1e-6) for k in wa)


def test_cli_build_train_evaluate(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    rows = ["user_id,anime_id,rating"]
    for u in range(40):
        for a in rng.choice(np.arange(1, 25) + (u % 2) * 10, size=8, replace=False):
            rows.append(f"{u},{a},{int(rng.integers(1, 11)) if a % 5 else -1}")
    (tmp_path / "rating.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "anime.csv").write_text(
        "anime_id,name,genre,type,episodes,rating,members\n1,First,Action,TV,12,8.0,100\n"
    )
    flags = ["--min-item-users", "2", "--min-user-entries", "3"]
    data = tmp_path / "d.npz"
    assert cli(["build-dataset", "--data", str(tmp_path), "--out", str(data), *flags]) == 0
    out = tmp_path / "model"
    args = ["train", "--data", str(data), "--out", str(out), "--max-steps", "2", "--quiet"]
    assert cli([*args, "--eval-every", "1", "--checkpoint-dir", str(tmp_path / "ck")]) == 0
    items = {i["anime_id"]: i for i in load_artifact(out).items}
    assert (
        items.get(1, {"title": "First", "media_type": "tv"})
        == {
            "anime_id": 1,
            "title": "First",
            "media_type": "tv",
        }
        or 1 not in items
    )
    report = tmp_path / "eval.json"
    assert cli(["evaluate", "--model", str(out), "--data", str(data), "--out", str(report)]) == 0
    assert json.loads(report.read_text())["split"] == "test"
    assert report.with_suffix(".md").read_text().startswith("| scorer |")


def test_data_parallel_matches_one_device(tmp_path: Path) -> None:
    """With two (forced host) devices the batch is sharded; the run matches one device."""
    script = f"""
import json, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from conftest import synthetic_profiles
from training.configs import TrainConfig
from training.dataset import DatasetOptions, build_dataset
from training.train import run_training
d = build_dataset(synthetic_profiles(), DatasetOptions(min_item_users=2, min_user_entries=3))
cfg = TrainConfig(name="t", encoder=(16, 8), decoder=(16,), batch_size=16, max_steps=4,
                  eval_every=2, patience=5, learning_rate=1e-2, graft=False, rating_offset=False)
r, m = run_training(d, cfg, progress=False, log=lambda *a: None)
print(json.dumps([m["training"]["devices"], [h["val_ndcg@100"] for h in r.history]]))
"""
    runs = []
    for flags in ("--xla_force_host_platform_device_count=2", ""):
        env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    (two, history_two), (one, history_one) = runs
    assert len(two) == 2 and len(one) == 1
    assert np.allclose(history_two, history_one, atol=1e-4)


def test_resume_refuses_a_checkpoint_of_another_model_or_corpus(
    tmp_path: Path, profiles: dict[int, list[ProfileEntry]]
) -> None:
    import dataclasses

    import pytest

    dataset = build_dataset(profiles, OPTIONS)
    config = TINY.with_overrides(graft=False, rating_offset=False, max_steps=3)
    ck = tmp_path / "ck"
    run_training(dataset, config, checkpoint_dir=ck, progress=False)
    wider = config.with_overrides(encoder=(24, 8), max_steps=6)
    with pytest.raises(ValueError, match="checkpoint"):
        run_training(dataset, wider, checkpoint_dir=ck, resume=True, progress=False)
    # Same shapes, other titles: resuming would silently train a model of the wrong corpus.
    other = dataclasses.replace(dataset, corpus_ids=dataset.corpus_ids[::-1].copy())
    with pytest.raises(ValueError, match="checkpoint"):
        run_training(
            other,
            config.with_overrides(max_steps=6),
            checkpoint_dir=ck,
            resume=True,
            progress=False,
        )


def test_config_rejects_an_unknown_option_value() -> None:
    import pytest

    with pytest.raises(ValueError, match=r"presence_target='droped'.*'full', 'dropped', 'rerank'"):
        TrainConfig(presence_target="droped")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="schedule='linear'"):
        TINY.with_overrides(schedule="linear")
    assert TrainConfig(select="ndcg", graft_kind="ease", schedule="cosine").select == "ndcg"
