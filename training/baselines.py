"""Baselines the model is measured against, behind one contract.

Every baseline takes its hyperparameters in the constructor, learns from the training users in
``fit(dataset) -> self``, and then answers for a fold-in batch
(:class:`training.scenario.FoldIn`): rankers with ``scores(batch)`` (B, N), higher =
better, profile items masked by the caller; the rating baseline with ``predict_ratings(batch)``,
the held-out scored entries' predicted 1–10 scores.

- :class:`Popularity`: the number of training users listing an item.
- :class:`Ease`: EASE (Steck 2019).
- :class:`Dlae`: DLAE, the dropout linear autoencoder (Steck 2020).
- :class:`ItemBias`: user mean + shrunk item bias (Koren 2008's baseline estimates).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Self

import numpy as np

from training.dataset import TRAIN, Dataset
from training.scenario import FoldIn


def training_presence(dataset: Dataset) -> np.ndarray:
    """Binary users × items matrix of the training users (the item–item models' X)."""
    presence, _, _ = dataset.dense(dataset.users(TRAIN))
    return presence


class Baseline(ABC):
    """A ranker: hyperparameters in ``__init__``, ``fit(dataset) -> self``, ``scores(batch)``."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, dataset: Dataset) -> Self:
        """Learn from the dataset's training users; returns ``self``."""

    @abstractmethod
    def scores(self, batch: FoldIn) -> np.ndarray:
        """(B, N) ranking scores of every corpus item for each fold-in profile."""


class Popularity(Baseline):
    """Rank every user's candidates by the number of training users listing them."""

    name = "popularity"

    def __init__(self) -> None:
        self.item_counts = np.zeros(0)

    def fit(self, dataset: Dataset) -> Self:
        self.item_counts = np.asarray(dataset.item_counts, dtype=np.float64)
        return self

    def scores(self, batch: FoldIn) -> np.ndarray:
        return np.broadcast_to(self.item_counts, batch.presence.shape).copy()


def ease_weights(x: np.ndarray, lam: float) -> np.ndarray:
    """EASE item–item weights (Steck 2019, "Embarrassingly Shallow Autoencoders").

    Minimizes ‖X − XB‖²_F + λ‖B‖²_F subject to diag(B) = 0; closed form
    P = (XᵀX + λI)⁻¹, B = I − P·diagMat(1/diag(P)), i.e. B_ij = −P_ij / P_jj, B_jj = 0.
    """
    x = np.asarray(x, dtype=np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


def dlae_weights(x: np.ndarray, dropout: float, lam: float) -> np.ndarray:
    """DLAE item–item weights (Steck 2020, "Autoencoders that don't overfit towards the Identity").

    The full-rank linear autoencoder trained with dropout rate p on its input has the closed
    form B = (XᵀX + Λ)⁻¹ XᵀX, Λ = p/(1−p)·diagMat(diag(XᵀX)) + λI: dropout acts as an
    item-popularity-scaled L2 penalty. The diagonal is kept (it only scores input items,
    which are never candidates).
    """
    x = np.asarray(x, dtype=np.float64)
    gram = x.T @ x
    a = gram.copy()
    a[np.diag_indices_from(a)] += dropout / (1.0 - dropout) * np.diag(gram) + lam
    return np.linalg.solve(a, gram)


class ItemItem(Baseline):
    """A linear item–item model: scores = presence · B on binary fold-in presence."""

    weights: np.ndarray  # (N, N) float32 B, set by ``fit``

    @abstractmethod
    def solve(self, x: np.ndarray) -> np.ndarray:
        """B (float64) for a binary users × items matrix ``x``, this model's hyperparameters."""

    def fit(self, dataset: Dataset) -> Self:
        return self.fit_matrix(training_presence(dataset))

    def fit_matrix(self, x: np.ndarray) -> Self:
        """Fit on a given users × items matrix (the training users' presence, or a subset)."""
        self.weights = np.asarray(self.solve(x), dtype=np.float32)
        return self

    def scores(self, batch: FoldIn) -> np.ndarray:
        return np.asarray(batch.presence, np.float32) @ self.weights


class Ease(ItemItem):
    """EASE (Steck 2019) with L2 strength λ; see :func:`ease_weights`."""

    name = "ease"

    def __init__(self, lam: float) -> None:
        self.lam = lam

    def solve(self, x: np.ndarray) -> np.ndarray:
        return ease_weights(x, self.lam)


class Dlae(ItemItem):
    """DLAE (Steck 2020) with dropout rate p and L2 strength λ; see :func:`dlae_weights`."""

    name = "dlae"

    def __init__(self, dropout: float, lam: float) -> None:
        self.dropout = dropout
        self.lam = lam

    def solve(self, x: np.ndarray) -> np.ndarray:
        return dlae_weights(x, self.dropout, self.lam)


def item_biases(
    rows: np.ndarray,
    items: np.ndarray,
    scores: np.ndarray,
    n_items: int,
    shrinkage: float,
) -> tuple[np.ndarray, float]:
    """(b, global mean) from scored (row, item, score) triples (Koren 2008, baseline estimates).

    b_i = Σ_u (s_ui − μ_u) / (n_i + shrinkage), μ_u the user's mean score.
    """
    scores = np.asarray(scores, np.float64)
    n_rows = int(rows.max()) + 1 if rows.size else 0
    sums = np.bincount(rows, weights=scores, minlength=n_rows)
    counts = np.bincount(rows, minlength=n_rows)
    user_mean = sums / np.maximum(counts, 1)
    residual = scores - user_mean[rows]
    total = np.bincount(items, weights=residual, minlength=n_items)
    denominator = np.bincount(items, minlength=n_items) + shrinkage
    bias = np.divide(total, denominator, out=np.zeros(n_items), where=denominator > 0)
    return bias, float(scores.mean()) if scores.size else 5.0


class ItemBias:
    """Rating baseline: the user's mean fold-in score plus a shrunk item bias.

    Prediction clip(μ_u + b_i, 1, 10) with b from :func:`item_biases` over the training users'
    scored entries (Koren 2008, "Factorization meets the neighborhood"); μ_u = the global mean
    when the user scored nothing. Same contract as :class:`Baseline`, but it predicts ratings
    instead of ranking.
    """

    name = "user mean + item bias"

    def __init__(self, shrinkage: float = 10.0) -> None:
        self.shrinkage = shrinkage
        self.bias = np.zeros(0)
        self.global_mean = 5.0

    def fit(self, dataset: Dataset) -> Self:
        rows, items, scores = [], [], []
        for k, u in enumerate(dataset.users(TRAIN)):
            s = dataset.row(int(u))
            mask = dataset.scores[s] > 0
            items.append(dataset.indices[s][mask])
            scores.append(dataset.scores[s][mask].astype(np.float64))
            rows.append(np.full(int(mask.sum()), k))
        self.bias, self.global_mean = item_biases(
            np.concatenate(rows),
            np.concatenate(items),
            np.concatenate(scores),
            dataset.n_items,
            self.shrinkage,
        )
        return self

    def predict(self, user_mean: float | None, items: np.ndarray) -> np.ndarray:
        """Predicted 1–10 scores of ``items`` for a user whose mean score is ``user_mean``."""
        mean = self.global_mean if user_mean is None else user_mean
        return np.clip(mean + self.bias[np.asarray(items)], 1.0, 10.0)

    def predict_ratings(self, batch: FoldIn) -> list[np.ndarray]:
        """Per user, predicted 1–10 scores of the held-out scored entries."""
        return [
            self.predict(mean, positions)
            for mean, (positions, _) in zip(batch.user_means, batch.held_scored, strict=True)
        ]


def item_value_bias(dataset: Dataset, shrinkage: float = 1.0) -> np.ndarray:
    """Per item, the training users' mean of (normalized rating − the user's mean input value).

    The same baseline estimate on the hybrid-normalized scale (Koren 2008): with the network's
    ``rating_offset`` this makes the rating head start as a user-level + item-bias baseline.
    """
    rows = dataset.users(TRAIN)
    lengths = np.diff(dataset.indptr)
    row_of = np.repeat(np.arange(dataset.n_users), lengths)
    sums = np.bincount(row_of, weights=dataset.values, minlength=dataset.n_users)
    user_mean = sums / np.maximum(lengths, 1)
    mask = np.isin(row_of, rows) & dataset.scored
    residual = dataset.values[mask] - user_mean[row_of[mask]]
    items = dataset.indices[mask]
    total = np.bincount(items, weights=residual, minlength=dataset.n_items)
    return (total / (np.bincount(items, minlength=dataset.n_items) + shrinkage)).astype(np.float32)
