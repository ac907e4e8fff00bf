"""The evaluation's view of an artifact's fitted rating model (``model.ratings``).

``training.evaluate`` calls :func:`rating_predictor` to add an MAE row for the served predicted
score; it is None for artifacts without a fitted rating model (they serve the rating head).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.artifact import load_artifact
from model.ratings import RatingModel, find_rating_model
from training.dataset import Dataset
from training.evaluation.scorers import RatingPredictor
from training.ratings.fit import fold_in_scores
from training.scenario import FoldIn


class FittedRatings:
    """A rating model's predicted 1–10 scores of each fold-in user's held-out scored entries,
    from the scored fold-in entries alone (as serving reads a list)."""

    name = "model (fitted rating model)"

    def __init__(self, model: RatingModel, dataset: Dataset) -> None:
        self.model = model
        self.dataset = dataset

    def predict_ratings(self, batch: FoldIn) -> list[np.ndarray]:
        out = []
        for k, (positions, _) in enumerate(batch.held_scored):
            rated, scores = fold_in_scores(self.dataset, batch, k)
            out.append(self.model.predict(rated, scores, positions))
        return out


def rating_predictor(artifact_dir: Path, dataset: Dataset) -> RatingPredictor | None:
    """The served predicted score of the artifact in ``artifact_dir`` as a rating predictor,
    None when the artifact has no fitted rating model (no ``ratings.npz``).

    Raises :class:`model.ratings.RatingModelError` for a broken file or another corpus.
    """
    corpus_ids = load_artifact(artifact_dir, verify=False).corpus_ids
    model = find_rating_model(artifact_dir, corpus_ids)
    if model is None:
        return None
    if not np.array_equal(corpus_ids, dataset.corpus_ids):
        raise ValueError(f"{artifact_dir}: corpus differs from the dataset's (other data options?)")
    return FittedRatings(model, dataset)
