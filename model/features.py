"""Profile features: the status rule and hybrid rating normalization (DESIGN.md).

Per user, over the scored entries (1–10): μ = mean, σ = population std + 1e-6 (μ=5, σ=2 when
nothing is scored); z = clip((s−μ)/σ, −3, 3); a = clip((s−5.5)/2.5, −2.5, 2.0);
α = clip(σ/2.6, 0.3, 0.8); value = clip(α·z + (1−α)·a, −2.5, 2.5). Low-variance raters lean on
the absolute scale a, high-variance raters on the z-score. Unscored watched entries get the
value of s = μ (z = 0); unscored dropped entries get the value of s = μ − 1.5σ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.profile import ProfileEntry

DEFAULT_MEAN = 5.0
DEFAULT_STD = 2.0
STD_EPSILON = 1e-6
VALUE_LIMIT = 2.5


@dataclass(frozen=True, slots=True)
class RatingNormalizer:
    """One user's hybrid normalization and its inverse."""

    mean: float
    std: float

    @classmethod
    def from_scores(cls, scores: Iterable[float]) -> RatingNormalizer:
        """Fit μ and σ on the user's scored entries (scores of 0 are ignored)."""
        scored = np.asarray([s for s in scores if s > 0], dtype=np.float64)
        if scored.size == 0:
            return cls(DEFAULT_MEAN, DEFAULT_STD)
        return cls(float(scored.mean()), float(scored.std()) + STD_EPSILON)

    @property
    def alpha(self) -> float:
        """Weight of the z-score against the absolute scale: clip(σ/2.6, 0.3, 0.8)."""
        return float(np.clip(self.std / 2.6, 0.3, 0.8))

    def normalize(self, scores: np.ndarray | float) -> np.ndarray:
        """Map 1–10 scores to hybrid-normalized values in [−2.5, 2.5]."""
        s = np.asarray(scores, dtype=np.float64)
        z = np.clip((s - self.mean) / self.std, -3.0, 3.0)
        a = np.clip((s - 5.5) / 2.5, -2.5, 2.0)
        alpha = self.alpha
        return np.clip(alpha * z + (1.0 - alpha) * a, -VALUE_LIMIT, VALUE_LIMIT)

    def denormalize(self, values: np.ndarray | float) -> np.ndarray:
        """Invert :meth:`normalize` on MAL's 1–10 scale (values beyond it map to 1 or 10).

        Before the outer ±2.5 clip the value is piecewise linear in s with knots at μ ± 3σ
        (where z saturates) and strictly increasing on 1–10 (a never saturates there), so the
        inverse is exact, also past the z clip: a low-variance rater's predicted 9 is 9, not μ.
        """
        v = np.asarray(values, dtype=np.float64)
        alpha = self.alpha
        knots = np.unique(
            np.clip([1.0, self.mean - 3 * self.std, self.mean + 3 * self.std, 10.0], 1.0, 10.0)
        )
        z = np.clip((knots - self.mean) / self.std, -3.0, 3.0)
        a = np.clip((knots - 5.5) / 2.5, -2.5, 2.0)
        return np.asarray(np.interp(v, alpha * z + (1.0 - alpha) * a, knots))

    def unscored_value(self, status: str | None) -> float:
        """Input value of an unscored entry: μ for watched ones, μ − 1.5σ for dropped ones."""
        score = self.mean - 1.5 * self.std if status == "dropped" else self.mean
        return float(self.normalize(score))


@dataclass(frozen=True, slots=True)
class EncodedProfile:
    """A profile as the network sees it, sparse over corpus indices.

    ``indices`` are the corpus positions of entries that enter the input (sorted, unique);
    ``values`` their normalized ratings; ``scored`` marks the ones with a real score.
    ``planned`` holds corpus positions of plan-to-watch entries (known, not input) and
    ``excluded`` every corpus position on the list (input or not) so results can skip them.
    """

    indices: np.ndarray
    values: np.ndarray
    scored: np.ndarray
    planned: np.ndarray
    excluded: np.ndarray
    normalizer: RatingNormalizer
    unknown_ids: tuple[int, ...]

    @property
    def has_scores(self) -> bool:
        return bool(self.scored.any())

    def dense(self, n_items: int, dtype: type = np.float32) -> np.ndarray:
        """The 2N input vector: presence ‖ normalized ratings."""
        x = np.zeros(2 * n_items, dtype=dtype)
        x[self.indices] = 1.0
        x[n_items + self.indices] = self.values
        return x


def dedupe(entries: Iterable[ProfileEntry]) -> list[ProfileEntry]:
    """Keep the last entry per anime id (a later row of a list wins)."""
    latest: dict[int, ProfileEntry] = {}
    for entry in entries:
        latest[entry.anime_id] = entry
    return list(latest.values())


def encode_profile(entries: Sequence[ProfileEntry], index: Mapping[int, int]) -> EncodedProfile:
    """Apply the status rule and hybrid normalization; ids outside ``index`` are counted.

    μ and σ are fitted on the scored entries that are in the corpus, the same set training sees.
    """
    known: list[tuple[int, ProfileEntry]] = []
    unknown: list[int] = []
    for entry in dedupe(entries):
        position = index.get(entry.anime_id)
        if position is None:
            unknown.append(entry.anime_id)
        else:
            known.append((position, entry))
    known.sort(key=lambda pair: pair[0])
    normalizer = RatingNormalizer.from_scores(e.score for _, e in known if e.enters_input)
    inputs = [(p, e) for p, e in known if e.enters_input]
    indices = np.fromiter((p for p, _ in inputs), dtype=np.int64, count=len(inputs))
    scored = np.fromiter((e.is_scored for _, e in inputs), dtype=bool, count=len(inputs))
    values = np.empty(len(inputs), dtype=np.float32)
    if inputs:
        raw = np.asarray([e.score for _, e in inputs], dtype=np.float64)
        values[:] = normalizer.normalize(raw)
        for i, (_, e) in enumerate(inputs):
            if not e.is_scored:
                values[i] = normalizer.unscored_value(e.status)
    planned = np.asarray([p for p, e in known if e.is_planned], dtype=np.int64)
    excluded = np.asarray([p for p, _ in known], dtype=np.int64)
    return EncodedProfile(
        indices=indices,
        values=values,
        scored=scored,
        planned=planned,
        excluded=excluded,
        normalizer=normalizer,
        unknown_ids=tuple(unknown),
    )
