"""``python -m training evaluate --seeds N``: the default recipe trained with several seeds.

``runs/seeds/seed-<s>/model`` per seed (``training.train``: the ``small`` config, seed ``s``, the
same data and dataset options). A seed whose artifact already exists with the dataset's corpus is
reused, not retrained (its training time is in its metadata either way); ``retrain`` forces it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.npyio import load_npy
from training.dataset import Dataset

DEFAULT_RUNS = Path("runs/seeds")


def seed_dir(runs: Path, seed: int) -> Path:
    return runs / f"seed-{seed}" / "model"


def reusable(model_dir: Path, dataset: Dataset) -> bool:
    """An artifact is there and ranks the dataset's corpus."""
    if not (model_dir / "manifest.json").is_file():
        return False
    corpus = np.asarray(load_npy(model_dir / "corpus_ids.npy"))
    return bool(np.array_equal(corpus, dataset.corpus_ids))


def train_seeds(
    dataset: Dataset,
    seeds: Sequence[int],
    runs: Path = DEFAULT_RUNS,
    *,
    config: str = "small",
    retrain: bool = False,
    log: Callable[[str], Any] = print,
) -> list[Path]:
    """One artifact per seed under ``runs`` (trained where missing), in seed order."""
    paths = []
    for seed in seeds:
        path = seed_dir(runs, seed)
        if retrain or not reusable(path, dataset):
            from training.configs import CONFIGS
            from training.train import export, run_training

            log(f"training seed {seed} into {path}")
            result, metadata = run_training(
                dataset,
                CONFIGS[config].with_overrides(seed=seed),
                checkpoint_dir=path.parent / "checkpoints",
                progress=False,
                log=log,
            )
            export(result, dataset, metadata, path)
        else:
            log(f"seed {seed}: reusing {path}")
        paths.append(path)
    return paths
