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

    def rows(self, items: Ints, where: Ints, width: int) -> Floats:
        """Dense (len(items), width) kept weights from ``items`` to the positions that
        ``where`` (N,) maps to a column (−1: not a column); 0 where j is not a kept neighbour."""
        found = where[self.indices[items]]
        hit = found >= 0
        out = np.zeros((len(items), width))
        out[np.nonzero(hit)[0], found[hit]] = self.weights[items][hit]
        return out


def interpolate(
    kept: tuple[Neighbours, ...], items: Ints, rated: Ints, residual: Floats, k: int, n: int
) -> tuple[Floats, Floats]:
    """(m, t), each (len(kept), len(items)): per neighbourhood and item, the weighted residual
    sum and the support of the k strongest positive neighbours among ``rated`` (module doc).

    Only each item's kept neighbours are looked at (those not rated weigh 0), all
    neighbourhoods in one pass: O(items · M) whatever the list's length.
    """
    shape = (len(kept), len(items))
    if not rated.size or not items.size:
        return np.zeros(shape), np.zeros(shape)
    where = np.full(n, -1, np.int64)
    where[rated] = np.arange(rated.size)
    found = np.concatenate([where[nb.indices[items]] for nb in kept])
    weights = np.concatenate([nb.weights[items] for nb in kept]).astype(np.float64)
    weights[found < 0] = 0.0
    np.maximum(weights, 0.0, out=weights)
    if weights.shape[1] > k:
        top = np.argpartition(-weights, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(weights, top, axis=1)
        found = np.take_along_axis(found, top, axis=1)
    weighted = weights * residual[np.maximum(found, 0)]  # weight 0 where not rated
    return weighted.sum(axis=1).reshape(shape), weights.sum(axis=1).reshape(shape)


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
        (m, m_lists), (t, t_lists) = interpolate(
            (self.ratings, self.lists), items, rated, residual, k, n
        )
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
