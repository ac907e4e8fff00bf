"""Where the second stage learns: fold-ins the item–item model was not fitted on (cross-fitting).

The training users are cut into K folds; for fold k the artifact's item–item model (same
hyperparameters) is refitted on the other folds, and fold k's users are folded in (80% kept,
20% held out, ``training.scenario``) and scored with the network plus that refitted graft. The
held-out titles among the first stage's top candidates are the labels: the graft cannot have
memorised them (Chernozhukov et al. 2018's cross-fitting, used here for a stacked ranker).
The network itself was trained on these users; validation users show whether that leaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from model import reference
from model.artifact import Artifact
from model.rerank.features import FEATURES, candidates, profile_features
from model.rerank.tables import Tables
from training.baselines import Dlae, Ease, ItemItem
from training.dataset import TRAIN, Dataset
from training.scenario import FoldIn, fold_in

CROSSFIT_SEED = 777  # the fold-ins' 80/20 split: not the evaluation's HOLDOUT_SEED


@dataclass(frozen=True)
class Examples:
    """Candidates of many lists: features (U, C, F), labels (U, C), valid (U, C), base logits."""

    features: np.ndarray
    labels: np.ndarray
    valid: np.ndarray

    def __len__(self) -> int:
        return len(self.features)

    @staticmethod
    def concat(parts: list[Examples]) -> Examples:
        return Examples(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Examples.__dataclass_fields__)
        )


def item_item_of(artifact: Artifact) -> ItemItem:
    """The artifact's item–item model with its hyperparameters (metadata of ``training.graft``)."""
    meta = artifact.metadata
    lam = float(meta.get("item_item_lambda", 200.0))
    if meta.get("item_item") == "ease":
        return Ease(lam)
    return Dlae(float(meta.get("dlae_dropout", 0.33)), lam)


def graft_of(artifact: Artifact) -> tuple[np.ndarray, float] | None:
    """The artifact's (G, g), None without a graft."""
    if not artifact.config.item_item:
        return None
    weights = artifact.weights
    return np.asarray(weights["item_item.weight"]), float(weights["item_item.scale"])


def network_outputs(
    artifact: Artifact, batch: FoldIn, item_item: np.ndarray | None = None, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits, graft part, ratings), each (B, N) float32; ``item_item`` replaces the
    artifact's G (the network's own part of the logits is kept)."""
    weights = {k: np.asarray(v) for k, v in artifact.weights.items()}
    config = artifact.config
    logits, grafts, ratings = [], [], []
    for start in range(0, len(batch.users), chunk):
        x = batch.inputs[start : start + chunk]
        presence = x[:, : config.n_items]
        lo, ra = reference.forward(config, weights, x)
        graft = np.zeros_like(lo)
        if config.item_item:
            scale = float(weights["item_item.scale"])
            graft = scale * (presence @ weights["item_item.weight"])
            if item_item is not None:
                lo = lo - graft
                graft = scale * (presence @ item_item)
                lo = lo + graft
        logits.append(lo.astype(np.float32))
        grafts.append(graft.astype(np.float32))
        ratings.append(ra.astype(np.float32))
    return np.concatenate(logits), np.concatenate(grafts), np.concatenate(ratings)


def examples(
    tables: Tables,
    batch: FoldIn,
    outputs: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_candidates: int,
    graft: tuple[np.ndarray, float] | None,
) -> Examples:
    """Every user's candidates, their features and whether each was held out; ``graft`` is
    the (G, g) the outputs were scored with."""
    logits, graft_part, ratings = outputs
    b = len(batch.users)
    x = np.zeros((b, n_candidates, len(FEATURES)), np.float32)
    y = np.zeros((b, n_candidates), np.float32)
    valid = np.zeros((b, n_candidates), bool)
    for k in range(b):
        listed = np.flatnonzero(batch.presence[k])
        cand = candidates(logits[k], listed, n_candidates)
        c = len(cand)
        rows = None if graft is None else graft[1] * graft[0][np.ix_(listed, cand)]
        x[k, :c] = profile_features(
            tables, listed, batch.values[k, listed], cand, logits[k, cand], graft_part[k, cand],
            ratings[k, cand], rows,
        )  # fmt: skip
        y[k, :c] = batch.held_out[k, cand]
        valid[k, :c] = True
    return Examples(x, y, valid)


def crossfit_examples(
    dataset: Dataset,
    artifact: Artifact,
    tables: Tables,
    *,
    n_folds: int = 4,
    seed: int = 0,
    log: Callable[[str], Any] = print,
) -> Examples:
    """:func:`examples` of every training user, each folded in against a graft refitted on the
    other folds (see the module docstring)."""
    model = item_item_of(artifact)
    train_users = dataset.users(TRAIN)
    order = np.random.default_rng([seed, 13]).permutation(train_users)
    parts = []
    for k, part in enumerate(np.array_split(order, n_folds)):
        others = np.setdiff1d(train_users, part)
        presence, _, _ = dataset.dense(others)
        g = np.asarray(model.solve(presence), np.float32)
        del presence
        batch = fold_in(dataset, np.sort(part), seed=CROSSFIT_SEED + k)
        own = graft_of(artifact)
        graft = None if own is None else (g, own[1])
        outputs = network_outputs(artifact, batch, g)
        parts.append(examples(tables, batch, outputs, tables.n_candidates, graft))
        log(f"cross-fit fold {k + 1}/{n_folds}: {len(part)} users")
    return Examples.concat(parts)
