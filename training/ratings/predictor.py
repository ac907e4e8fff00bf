"""The evaluation's view of an artifact's fitted rating model (``model.ratings``).

``training.evaluate`` calls :func:`rating_predictor` to add an MAE row for the served predicted
score; it is None for artifacts without a fitted rating model (they serve the rating head).
"""

from __future__ import annotations

from pathlib import Path

from training.dataset import Dataset
from training.evaluation.scorers import RatingPredictor

SIDECAR = "ratings.npz"


def rating_predictor(artifact_dir: Path, dataset: Dataset) -> RatingPredictor | None:
    """The served predicted score of the artifact in ``artifact_dir`` as a rating predictor,
    None when the artifact has no fitted rating model (no ``ratings.npz``)."""
    if not (Path(artifact_dir) / SIDECAR).is_file():
        return None
    raise NotImplementedError("the fitted rating model's predictor lands with model.ratings")
