"""``python -m training evaluate --seeds N``: the default recipe trained with several seeds.

``runs/seeds/seed-<s>/model`` per seed, built as ``make model`` builds a candidate:
``training.train`` (the ``small`` config, seed ``s``, the same data and dataset options), then
each of :data:`FINISHERS` whose module is present (the second stage, the fitted rating model;
``python -m training <command> --model DIR --data …`` in a child process, as ``make model`` runs
them). The side-channel fit is left out: evaluation does not rank catalog titles. A seed whose
artifact already exists with the dataset's corpus is reused, not retrained (its training time is
in its metadata either way), and a finisher runs once per artifact (a ``finished-<command>``
marker beside it); ``retrain`` forces both.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.npyio import load_npy
from training.dataset import Dataset

DEFAULT_RUNS = Path("runs/seeds")
FINISHERS = (
    ("training.rerank.command", "fit-rerank"),
    ("training.ratings.command", "fit-ratings"),
)
"""(module, ``python -m training`` command) run on each trained artifact, in ``make model``'s
order."""


def seed_dir(runs: Path, seed: int) -> Path:
    return runs / f"seed-{seed}" / "model"


def reusable(model_dir: Path, dataset: Dataset) -> bool:
    """An artifact is there and ranks the dataset's corpus."""
    if not (model_dir / "manifest.json").is_file():
        return False
    corpus = np.asarray(load_npy(model_dir / "corpus_ids.npy"))
    return bool(np.array_equal(corpus, dataset.corpus_ids))


def finish(
    model_dir: Path, data: Sequence[str], *, force: bool = False, log: Callable[[str], Any] = print
) -> dict[str, Any]:
    """Run each present finisher on ``model_dir`` once; per command, its exit status and wall
    seconds (or why it did not run)."""
    out: dict[str, Any] = {}
    for module, command in FINISHERS:
        marker = model_dir.parent / f"finished-{command}"
        if importlib.util.find_spec(module) is None:
            out[command] = f"{module} not present"
            continue
        if marker.is_file() and not force:
            out[command] = marker.read_text().strip()
            continue
        args = [sys.executable, "-m", "training", command, "--model", str(model_dir)]
        for source in data:
            args += ["--data", source]
        log(f"{command} on {model_dir}")
        start = time.perf_counter()
        done = subprocess.run(args, check=False)
        out[command] = f"exit {done.returncode}, {time.perf_counter() - start:.0f} s"
        if done.returncode == 0:
            marker.write_text(out[command] + "\n")
    return out


def finisher_seconds(model_dir: Path) -> dict[str, float]:
    """Wall seconds of each finisher that ran on ``model_dir`` (from its marker), by command."""
    out = {}
    for _, command in FINISHERS:
        marker = Path(model_dir).parent / f"finished-{command}"
        if marker.is_file():
            text = marker.read_text().strip()  # "exit 0, 123 s"
            out[command] = float(text.rsplit(",", 1)[-1].split()[0])
    return out


def train_seeds(
    dataset: Dataset,
    seeds: Sequence[int],
    runs: Path = DEFAULT_RUNS,
    *,
    data: Sequence[str] = (),
    config: str = "small",
    retrain: bool = False,
    log: Callable[[str], Any] = print,
) -> list[Path]:
    """One artifact per seed under ``runs`` (trained where missing, finished with
    :func:`finish` on ``data`` when given), in seed order."""
    paths = []
    for seed in seeds:
        path = seed_dir(runs, seed)
        trained = retrain or not reusable(path, dataset)
        if trained:
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
        if data:
            log(f"seed {seed}: {finish(path, data, force=trained, log=log)}")
        paths.append(path)
    return paths
