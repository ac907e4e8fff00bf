"""The item–item graft: G chosen on validation users, its scale g, and cross-fitted folds.

With the graft the presence logits are ``head_p(z) + g · (presence · G)`` (``model.reference``),
G an item–item model: DLAE (Steck 2020) or EASE (Steck 2019), its hyperparameters chosen by
validation NDCG@100, so the network learns a residual over a strong linear model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training.baselines import ItemItem
from training.configs import TrainConfig
from training.dataset import TRAIN, Dataset
from training.evaluation.tuning import tune_dlae, tune_ease
from training.scenario import FoldIn

GRAFT_SCALES = tuple(float(v) for v in np.geomspace(1.0, 300.0, 25))


@dataclass
class Graft:
    """The chosen item–item model, its (N, N) float32 G, the artifact's metadata about it,
    and the cross-fitted folds (training rows of fold k, G fitted without fold k), if any."""

    model: ItemItem
    metadata: dict[str, Any]
    folds: list[tuple[np.ndarray, np.ndarray]] | None = field(default=None)

    @property
    def item_item(self) -> np.ndarray:
        return self.model.weights


def select_graft(
    dataset: Dataset,
    config: TrainConfig,
    validation: FoldIn,
    log: Callable[[str], Any] = print,
) -> Graft:
    """Tune ``config.graft_kind`` on the validation fold-in; cross-fit it when configured."""
    t0 = time.perf_counter()
    model: ItemItem
    sweep: dict[str, float]
    if config.graft_kind == "dlae":
        model, sweep = tune_dlae(dataset, validation)
        metadata: dict[str, Any] = {"item_item": "dlae", "dlae_dropout": model.dropout}
    else:
        model, lambdas = tune_ease(dataset, validation, config.graft_lambdas)
        sweep = {f"lambda={k:g}": v for k, v in lambdas.items()}
        metadata = {"item_item": "ease"}
    metadata.update(
        item_item_lambda=model.lam,
        item_item_validation_ndcg={k: round(v, 5) for k, v in sweep.items()},
        item_item_seconds=round(time.perf_counter() - t0, 1),
    )
    log(f"graft: {metadata['item_item']} (validation NDCG@100 {max(sweep.values()):.4f})")
    graft = Graft(model, metadata)
    if config.graft_folds > 1 and not config.train_item_item:
        graft.folds = cross_fitted_item_item(dataset, model, config.graft_folds, config.seed)
    return graft


def cross_fitted_item_item(
    dataset: Dataset, model: ItemItem, n_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(training rows of fold k, G of ``model``'s hyperparameters fitted on the other folds)."""
    rows = np.random.default_rng([seed, 1]).permutation(dataset.users(TRAIN))
    folds = []
    for part in np.array_split(rows, n_folds):
        others = np.setdiff1d(dataset.users(TRAIN), part)
        presence, _, _ = dataset.dense(others)
        folds.append((np.sort(part), model.solve(presence).astype(np.float32)))
    return folds


def fit_graft_scale(
    dataset: Dataset, item_item: np.ndarray, config: TrainConfig, n_users: int = 512
) -> float:
    """The graft scale g whose softmax(g · corrupted-presence · G) best fits the training target.

    The item–item scores have their own temperature; starting g at the likelihood's optimum
    (instead of 1) means the network's residual is not pushed to fix the temperature first.
    The target is the one training uses (``presence_target``; "dropped" leaves kept entries out
    of the softmax). The likelihood is Mult-VAE's multinomial NLL (Liang et al. 2018).
    """
    rng = np.random.default_rng(config.seed)
    rows = np.sort(rng.permutation(dataset.users(TRAIN))[:n_users])
    presence, _, _ = dataset.dense(rows)
    rate = config.drop_rate + rng.uniform(-config.drop_spread, config.drop_spread, (len(rows), 1))
    keep = (rng.random(presence.shape) >= rate).astype(np.float32)
    kept = presence * keep
    base = (kept @ np.asarray(item_item, np.float32)).astype(np.float64)
    target = presence
    if config.presence_target == "dropped":
        target = presence * (1.0 - keep)
        base = np.where(kept > 0, -np.inf, base)
    counts = target.sum(axis=1)
    users = counts > 0

    def nll(g: float) -> float:
        logits = g * base[users]
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        picked = np.where(target[users] > 0, log_probs, 0.0)
        return float((-picked.sum(axis=1) / counts[users]).mean())

    return min(GRAFT_SCALES, key=nll)
