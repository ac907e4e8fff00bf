"""Predicted scores (1–10) from a fitted rating model beside the network's weights (NumPy only).

:class:`RatingModel` is the math (Koren 2008's baseline plus two item–item neighbourhoods on
its residuals, combined by a small linear stacker); :mod:`model.ratings.store` reads and writes its
file, ``ratings.npz``, in the artifact directory; :mod:`model.ratings.serving` puts it where the
recommender shows a predicted score. Artifacts without the file serve the network's rating head.
"""

from model.ratings.neighbourhood import FEATURES, Neighbours, RatingModel
from model.ratings.store import SIDECAR, RatingModelError, find_rating_model, save_rating_model

__all__ = [
    "FEATURES",
    "SIDECAR",
    "Neighbours",
    "RatingModel",
    "RatingModelError",
    "find_rating_model",
    "save_rating_model",
]
