"""Per-user rating features: the hybrid normalization and the encoded profile (DESIGN.md).

Per user, over the scored entries (1–10): μ = mean, σ = population std + 1e-6 (μ=5, σ=2 when
nothing is scored); z = clip((s−μ)/σ, −3, 3); a = clip((s−5.5)/2.5, −2.5, 2.0);
α = clip(σ/2.6, 0.3, 0.8); value = clip(α·z + (1−α)·a, −2.5, 2.5). Low-variance raters lean on
the absolute scale a, high-variance raters on the z-score. Unscored watched entries get the
value of s = μ (z = 0); unscored dropped entries get the value of s = μ − 1.5σ.

The input it feeds is the denoising autoencoder's (Liang et al. 2018, "Variational Autoencoders
for Collaborative Filtering", with explicit ratings as a second channel); the hybrid of a
per-user z-score and an absolute scale is this project's own (DESIGN.md, "Hybrid normalization").
Turning list entries into an :class:`EncodedProfile` is :mod:`model.encoding`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DEFAULT_MEAN = 5.0
DEFAULT_STD = 2.0
STD_EPSILON = 1e-6
VALUE_LIMIT = 2.5
DROPPED_OFFSET = 1.5

Floats = npt.NDArray[np.float64]


def hybrid_value(scores: npt.ArrayLike, mean: float | Floats, std: float | Floats) -> Floats:
    """clip(α·z + (1−α)·a, −2.5, 2.5) of 1–10 scores, for one user's or per-entry μ and σ."""
    return np.asarray(np.clip(_blend(scores, mean, std), -VALUE_LIMIT, VALUE_LIMIT))


def _blend(scores: npt.ArrayLike, mean: float | Floats, std: float | Floats) -> Floats:
    """α·z + (1−α)·a before the outer clip."""
    s = np.asarray(scores, dtype=np.float64)
    z = np.clip((s - mean) / std, -3.0, 3.0)
    a = np.clip((s - 5.5) / 2.5, -2.5, 2.0)
    alpha = np.clip(np.divide(std, 2.6), 0.3, 0.8)
    return np.asarray(alpha * z + (1.0 - alpha) * a)


def unscored_score(mean: float | Floats, std: float | Floats, dropped: npt.ArrayLike) -> Floats:
    """The score an unscored input entry stands for: μ, or μ − 1.5σ where it was dropped."""
    return np.asarray(np.where(dropped, mean - DROPPED_OFFSET * std, mean), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class RatingNormalizer:
    """One user's hybrid normalization and its inverse."""

    mean: float
    std: float

    @classmethod
    def from_scores(cls, scores: Iterable[float] | npt.NDArray[np.generic]) -> RatingNormalizer:
        """Fit μ and σ on the user's scored entries (scores of 0 are ignored)."""
        given = scores if isinstance(scores, np.ndarray) else list(scores)
        values = np.asarray(given, dtype=np.float64)
        scored = values[values > 0]
        if scored.size == 0:
            return cls(DEFAULT_MEAN, DEFAULT_STD)
        return cls(float(scored.mean()), float(scored.std()) + STD_EPSILON)

    @property
    def alpha(self) -> float:
        """Weight of the z-score against the absolute scale: clip(σ/2.6, 0.3, 0.8)."""
        return float(np.clip(self.std / 2.6, 0.3, 0.8))

    def normalize(self, scores: npt.ArrayLike) -> Floats:
        """Map 1–10 scores to hybrid-normalized values in [−2.5, 2.5]."""
        return hybrid_value(scores, self.mean, self.std)

    def denormalize(self, values: npt.ArrayLike) -> Floats:
        """Invert :meth:`normalize` on MAL's 1–10 scale (values beyond it map to 1 or 10).

        Before the outer ±2.5 clip the value is piecewise linear in s with knots at μ ± 3σ
        (where z saturates) and strictly increasing on 1–10 (a never saturates there), so the
        inverse is exact, also past the z clip: a low-variance rater's predicted 9 is 9, not μ.
        """
        v = np.asarray(values, dtype=np.float64)
        knots = np.unique(
            np.clip([1.0, self.mean - 3 * self.std, self.mean + 3 * self.std, 10.0], 1.0, 10.0)
        )
        return np.asarray(np.interp(v, _blend(knots, self.mean, self.std), knots))

    def unscored_value(self, status: str | None) -> float:
        """Input value of an unscored entry: μ for watched ones, μ − 1.5σ for dropped ones."""
        score = unscored_score(self.mean, self.std, status == "dropped")
        return float(self.normalize(score))


@dataclass(frozen=True, slots=True)
class EncodedProfile:
    """A profile as the network sees it, sparse over corpus indices.

    ``indices`` are the corpus positions of entries that enter the input (sorted, unique);
    ``values`` their normalized ratings; ``scored`` marks the ones with a real score.
    ``planned`` holds corpus positions of plan-to-watch entries (known, not input) and
    ``excluded`` every corpus position on the list (input or not) so results can skip them.
    ``unknown_ids`` are the list's anime ids outside the corpus, in list order.
    """

    indices: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    scored: npt.NDArray[np.bool_]
    planned: npt.NDArray[np.int64]
    excluded: npt.NDArray[np.int64]
    normalizer: RatingNormalizer
    unknown_ids: tuple[int, ...]

    @property
    def has_scores(self) -> bool:
        """Whether any input entry has a real score (DESIGN.md: w = 1 for users without)."""
        return bool(self.scored.any())

    def dense(self, n_items: int, dtype: npt.DTypeLike = np.float32) -> npt.NDArray[np.floating]:
        """The 2N input vector: presence ‖ normalized ratings."""
        x: npt.NDArray[np.floating] = np.zeros(2 * n_items, dtype=dtype)
        x[self.indices] = 1.0
        x[n_items + self.indices] = self.values
        return x
