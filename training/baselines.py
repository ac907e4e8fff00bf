"""Baselines behind the model's scoring interface: popularity, EASE, user-mean + item-bias.

A scorer maps a batch of fold-in profiles (:class:`training.evaluate.FoldIn`-like: dense
``presence`` (B, N) and ``values`` matrices) to ranking scores (B, N), higher = better.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Batch(Protocol):
    presence: np.ndarray  # (B, N) 0/1 fold-in entries
    values: np.ndarray  # (B, N) hybrid-normalized fold-in ratings


class Scorer(Protocol):
    """What evaluation ranks with; profile items are masked by the caller."""

    name: str

    def scores(self, batch: Batch) -> np.ndarray: ...


class Popularity:
    """Rank every user's candidates by the number of training users listing them."""

    name = "popularity"

    def __init__(self, item_counts: np.ndarray) -> None:
        self.item_counts = np.asarray(item_counts, dtype=np.float64)

    def scores(self, batch: Batch) -> np.ndarray:
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


class Ease:
    """EASE scores ``presence · B`` (Steck 2019) on binary fold-in presence."""

    name = "ease"

    def __init__(self, weights: np.ndarray, lam: float) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)
        self.lam = lam

    @classmethod
    def fit(cls, x: np.ndarray, lam: float) -> Ease:
        return cls(ease_weights(x, lam), lam)

    def scores(self, batch: Batch) -> np.ndarray:
        return np.asarray(batch.presence, np.float32) @ self.weights


class Dlae(Ease):
    """DLAE scores ``presence · B`` (Steck 2020) on binary fold-in presence."""

    name = "dlae"

    def __init__(self, weights: np.ndarray, lam: float, dropout: float) -> None:
        super().__init__(weights, lam)
        self.dropout = dropout

    @classmethod
    def fit_dlae(cls, x: np.ndarray, dropout: float, lam: float) -> Dlae:
        return cls(dlae_weights(x, dropout, lam), lam, dropout)


class ItemBias:
    """Rating baseline: the user's mean fold-in score plus a shrunk item bias.

    b_i = Σ_u (s_ui − μ_u) / (n_i + shrinkage) over training users' scored entries
    (Koren 2008, "Factorization meets the neighborhood", baseline estimates); prediction
    clip(μ_u + b_i, 1, 10), μ_u = the global mean when the user scored nothing.
    """

    name = "user mean + item bias"

    def __init__(self, bias: np.ndarray, global_mean: float, shrinkage: float) -> None:
        self.bias = bias
        self.global_mean = global_mean
        self.shrinkage = shrinkage

    @classmethod
    def fit(
        cls,
        rows: np.ndarray,
        items: np.ndarray,
        scores: np.ndarray,
        n_items: int,
        shrinkage: float = 10.0,
    ) -> ItemBias:
        """Fit on scored (row, item, score) triples of the training users."""
        scores = np.asarray(scores, np.float64)
        n_rows = int(rows.max()) + 1 if rows.size else 0
        sums = np.bincount(rows, weights=scores, minlength=n_rows)
        counts = np.bincount(rows, minlength=n_rows)
        user_mean = sums / np.maximum(counts, 1)
        residual = scores - user_mean[rows]
        total = np.bincount(items, weights=residual, minlength=n_items)
        denominator = np.bincount(items, minlength=n_items) + shrinkage
        bias = np.divide(total, denominator, out=np.zeros(n_items), where=denominator > 0)
        return cls(bias, float(scores.mean()) if scores.size else 5.0, shrinkage)

    def predict(self, user_mean: float | None, items: np.ndarray) -> np.ndarray:
        mean = self.global_mean if user_mean is None else user_mean
        return np.clip(mean + self.bias[np.asarray(items)], 1.0, 10.0)
