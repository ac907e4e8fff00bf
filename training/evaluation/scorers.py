"""What evaluation ranks with: the scorer protocols and the trained network's scorer.

A scorer maps a fold-in batch to (B, N) ranking scores; a rating predictor maps it to the
held-out scored entries' predicted 1–10 scores. The baselines (``training.baselines``) and the
network follow these; the network's score is the serving score (DESIGN.md "Score").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np

from model import reference
from training.scenario import FoldIn


class Scorer(Protocol):
    """Ranks every corpus item for each fold-in profile; profile items are masked by the caller."""

    @property
    def name(self) -> str: ...

    def scores(self, batch: FoldIn) -> np.ndarray: ...


class RatingPredictor(Protocol):
    """Predicts, per user, the 1–10 scores of the held-out scored entries."""

    @property
    def name(self) -> str: ...

    def predict_ratings(self, batch: FoldIn) -> list[np.ndarray]: ...


class NetworkScorer(ABC):
    """A network's outputs ranked with the serving score (``model.reference.unified_score``).

    score = p^w · max(r̂+1, 0.001)^(1−w) with p = softmax(presence logits) (DESIGN.md "Score");
    w = 1 for users with no scored entries. Ratings are denormalized with each user's fold-in
    normalizer (the inverse of the hybrid normalization).
    """

    name = "model"

    def __init__(self, score_weight: float) -> None:
        self.score_weight = score_weight

    @abstractmethod
    def outputs(self, batch: FoldIn) -> tuple[np.ndarray, np.ndarray]:
        """Presence probabilities and normalized rating predictions, (B, N) each."""

    def scores(self, batch: FoldIn) -> np.ndarray:
        probs, ratings = self.outputs(batch)
        w = np.where(batch.has_scores, self.score_weight, 1.0)[:, None]
        return reference.unified_score(probs, ratings, w)

    def predict_ratings(self, batch: FoldIn) -> list[np.ndarray]:
        _, ratings = self.outputs(batch)
        return [
            norm.denormalize(ratings[k, positions])
            for k, (norm, (positions, _)) in enumerate(
                zip(batch.normalizers, batch.held_scored, strict=True)
            )
        ]


class ModelScorer(NetworkScorer):
    """Exported weights run through the NumPy reference forward (``model.reference``)."""

    def __init__(
        self,
        config: reference.NetworkConfig,
        weights: dict[str, np.ndarray],
        score_weight: float = 0.3,
        batch_size: int = 256,
    ) -> None:
        super().__init__(score_weight)
        self.config = config
        self.weights = weights
        self.batch_size = batch_size
        # The last batch and its outputs: scores and ratings (and every w of a sweep) reuse one
        # forward pass. Keyed on the batch object itself, held here so it cannot be replaced by
        # another object at the same address.
        self._cached: tuple[FoldIn, tuple[np.ndarray, np.ndarray]] | None = None

    def outputs(self, batch: FoldIn) -> tuple[np.ndarray, np.ndarray]:
        if self._cached is not None and self._cached[0] is batch:
            return self._cached[1]
        x = batch.inputs
        probs, ratings = [], []
        for start in range(0, len(x), self.batch_size):
            logits, r = reference.forward(
                self.config, self.weights, x[start : start + self.batch_size]
            )
            probs.append(np.exp(reference.log_softmax(logits.astype(np.float64))))
            ratings.append(r)
        result = (np.concatenate(probs), np.concatenate(ratings))
        self._cached = (batch, result)
        return result


class GraftScorer:
    """The model's item–item graft alone: scores = presence · G with the artifact's G (DLAE,
    Steck 2020), the network's presence residual and rating head off (the ranking of
    ``logits = g·(presence·G)`` under a softmax, w = 1)."""

    name = "graft"

    def __init__(self, item_item: np.ndarray) -> None:
        self.item_item = np.asarray(item_item, np.float32)

    def scores(self, batch: FoldIn) -> np.ndarray:
        return np.asarray(batch.presence, np.float32) @ self.item_item


def presence_head_scaled(
    config: reference.NetworkConfig, weights: dict[str, np.ndarray], factor: float
) -> dict[str, np.ndarray]:
    """A copy of ``weights`` with the presence head's last layer (kernel and bias) times
    ``factor``: the network's residual next to the graft rescaled (``training.train``'s α)."""
    last = f"presence.{len(config.decoder)}"
    scaled = dict(weights)
    for part in ("kernel", "bias"):
        scaled[f"{last}.{part}"] = factor * np.asarray(weights[f"{last}.{part}"])
    return scaled
