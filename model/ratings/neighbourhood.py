"""The rating model: baseline + item–item neighbourhood on residuals, stacked linearly.

Koren 2008 ("Factorization meets the neighborhood", §2) predicts a score as the baseline
b_ui = μ_u + b_i plus an interpolation of the user's residuals r_uj − b_uj on the k rated items
j most similar to i. Here every parameter belongs to an item, so a member never seen in
training is folded in from the list alone (no per-user fit):

- μ_u: the member's mean score (the global mean when nothing is scored), σ_u their spread;
- b_i: the item bias, Σ_u (r_ui − μ_u) / (n_i + λ_b) over training users;
- s_ij: Pearson correlation of the baseline residuals over the users who rated both,
  shrunk by n_ij / (n_ij + λ_s) (Koren 2008, eq. 2), diagonal zero;
- for the k rated items with the largest s_ij (s ≤ 0 counts as 0): the weighted residual
  sum m = Σ s_ij e_uj and the support t = Σ s_ij.

The prediction is a linear stack of :data:`FEATURES` (``m/(t + 0.1)`` and ``m/(t + 1)`` are the
interpolation shrunk twice as much towards the baseline when the support is weak), with
coefficients fitted by least absolute deviations on cross-fitted fold-ins of training users
(:mod:`training.ratings.fit`), clipped to 1–10.
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
    "neighbourhood_tight",
    "neighbourhood_loose",
    "support",
    "item_bias_x_spread",
    "spread",
)
"""The stacker's inputs, in coefficient order (module docstring)."""
TIGHT = 0.1
LOOSE = 1.0
MIN_SCORE, MAX_SCORE = 1.0, 10.0

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RatingModel:
    """Item parameters of the neighbourhood rating model for one corpus (module docstring)."""

    item_bias: npt.NDArray[np.float32]  # (N,) b_i
    similarity: npt.NDArray[np.floating]  # (N, N) shrunk residual correlation s_ij
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
        scores; ``items``: the positions to predict. An item that is itself among ``rated``
        never counts as its own neighbour (its similarity to itself is zero).
        """
        rated = np.asarray(rated, np.int64)
        s = np.asarray(scores, np.float64)
        items = np.asarray(items, np.int64)
        if s.size:
            mean, spread = float(s.mean()), float(s.std())
        else:
            mean, spread = self.global_mean, 0.0
        bias = self.item_bias[items].astype(np.float64)
        weighted = np.zeros(len(items))
        support = np.zeros(len(items))
        if rated.size and items.size:
            residual = s - mean - self.item_bias[rated]
            sim = np.maximum(self.similarity[np.ix_(items, rated)].astype(np.float64), 0.0)
            k = self.neighbours
            if rated.size > k:
                top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
                sim = np.take_along_axis(sim, top, axis=1)
                residual = residual[top]
            weighted = (sim * residual).sum(axis=1)
            support = sim.sum(axis=1)
        columns = (
            np.ones(len(items)),
            np.full(len(items), mean),
            bias,
            weighted / (support + TIGHT),
            weighted / (support + LOOSE),
            support,
            bias * spread,
            np.full(len(items), spread),
        )
        return np.stack(columns, axis=1)

    def predict(self, rated: npt.ArrayLike, scores: npt.ArrayLike, items: npt.ArrayLike) -> Floats:
        """Predicted 1–10 scores of ``items`` for a member (arguments as :meth:`features`)."""
        out: Floats = np.clip(
            self.features(rated, scores, items) @ self.coefficients, MIN_SCORE, MAX_SCORE
        )
        return out
