"""The rating model: baseline + two item–item neighbourhoods on residuals, stacked linearly.

Koren 2008 ("Factorization meets the neighborhood", §2) predicts a score as the baseline
b_ui = μ_u + b_i plus an interpolation of the user's residuals e_uj = r_uj − b_uj on the k rated
items j most similar to i. Here every parameter belongs to an item, so a member never seen in
training is folded in from the list alone (no per-user fit):

- μ_u: the member's mean score (the global mean when nothing is scored), σ_u their spread;
- b_i: the item bias, Σ_u (r_ui − μ_u) / (n_i + λ_b) over training users;
- two neighbourhoods, each kept as its M strongest neighbours per item:
  ``ratings``, the Pearson correlation of the baseline residuals over the users who rated both,
  shrunk by n_ij / (n_ij + λ_s) (Koren 2008, eq. 2); ``lists``, the co-listing weights of a
  DLAE (Steck 2020, "Autoencoders that don't overfit towards the Identity"), the same kind of
  item–item model the network's graft is, fitted on who lists what;
- per neighbourhood, over the k rated items with the largest weight s_ij (s ≤ 0 counts as 0):
  m = Σ s_ij e_uj and the support t = Σ s_ij.

The prediction is a linear stack of :data:`FEATURES` (``m/(t + c)``: the interpolation, shrunk
towards the baseline when the support is weak), with coefficients fitted by least absolute
deviations on cross-fitted fold-ins of training users (:mod:`training.ratings.fit`), clipped
to 1–10.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FEATURES = (
    "constant",
    "user_mean",
    "item_bias",
    "ratings_tight",
    "ratings_loose",
    "ratings_support",
    "item_bias_x_spread",
    "spread",
    "lists",
)
"""The stacker's inputs, in coefficient order (module docstring)."""
TIGHT = 0.1
LOOSE = 1.0
MIN_SCORE, MAX_SCORE = 1.0, 10.0

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Neighbours:
    """An item–item weight matrix kept sparse: per item its M strongest neighbours."""

    indices: npt.NDArray[np.int32]  # (N, M) neighbour positions
    weights: npt.NDArray[np.floating]  # (N, M) their weights, 0 where unused

    @classmethod
    def strongest(cls, matrix: npt.NDArray[np.floating], m: int) -> Neighbours:
        """The m largest weights of each row of a dense (N, N) matrix."""
        m = min(m, matrix.shape[1])
        top = np.argpartition(-matrix, m - 1, axis=1)[:, :m]
        weights = np.take_along_axis(matrix, top, axis=1)
        return cls(top.astype(np.int32), weights.astype(np.float16))

    def rows(self, items: Ints, n_items: int) -> Floats:
        """Dense (len(items), N) rows of the kept weights."""
        out = np.zeros((len(items), n_items))
        np.put_along_axis(out, self.indices[items].astype(np.int64), self.weights[items], axis=1)
        return out

    def interpolate(
        self, items: Ints, rated: Ints, residual: Floats, k: int, n_items: int
    ) -> tuple[Floats, Floats]:
        """(m, t) per item: the weighted residual sum and the support of the k strongest
        positive neighbours among ``rated`` (module docstring)."""
        if not rated.size or not items.size:
            return np.zeros(len(items)), np.zeros(len(items))
        sim = np.maximum(self.rows(items, n_items)[:, rated], 0.0)
        if rated.size > k:
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            sim = np.take_along_axis(sim, top, axis=1)
            residual = residual[top]
        return (sim * residual).sum(axis=1), sim.sum(axis=1)


@dataclass(frozen=True)
class RatingModel:
    """Item parameters of the neighbourhood rating model for one corpus (module docstring)."""

    item_bias: npt.NDArray[np.float32]  # (N,) b_i
    ratings: Neighbours  # shrunk residual correlations
    lists: Neighbours  # DLAE co-listing weights
    coefficients: Floats  # (len(FEATURES),)
    global_mean: float
    neighbours: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return int(self.item_bias.shape[0])

    def features(self, rated: npt.ArrayLike, scores: npt.ArrayLike, items: npt.ArrayLike) -> Floats:
        """(len(items), len(FEATURES)) stacker inputs for one member.

        ``rated``: corpus positions of the member's scored entries; ``scores``: their 1–10
        scores; ``items``: the positions to predict. An item is never its own neighbour (the
        fit zeroes the diagonals), so a listed title can be predicted with itself left in.
        """
        rated = np.asarray(rated, np.int64)
        s = np.asarray(scores, np.float64)
        items = np.asarray(items, np.int64)
        if s.size:
            mean, spread = float(s.mean()), float(s.std())
        else:
            mean, spread = self.global_mean, 0.0
        bias = self.item_bias[items].astype(np.float64)
        residual = s - mean - self.item_bias[rated]
        n, k = self.n_items, self.neighbours
        m, t = self.ratings.interpolate(items, rated, residual, k, n)
        m_lists, t_lists = self.lists.interpolate(items, rated, residual, k, n)
        columns = (
            np.ones(len(items)),
            np.full(len(items), mean),
            bias,
            m / (t + TIGHT),
            m / (t + LOOSE),
            t,
            bias * spread,
            np.full(len(items), spread),
            m_lists / (t_lists + TIGHT),
        )
        return np.stack(columns, axis=1)

    def predict(self, rated: npt.ArrayLike, scores: npt.ArrayLike, items: npt.ArrayLike) -> Floats:
        """Predicted 1–10 scores of ``items`` for a member (arguments as :meth:`features`)."""
        out: Floats = np.clip(
            self.features(rated, scores, items) @ self.coefficients, MIN_SCORE, MAX_SCORE
        )
        return out
