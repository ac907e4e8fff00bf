"""Where the recommender shows a predicted score, the fitted rating model's replaces the head's.

The network still ranks (its rating head feeds the unified score); only the 1–10 score shown
for a corpus title comes from :class:`model.ratings.RatingModel` when the artifact has one.
A member's scores are read back from the encoded profile (:func:`profile_scores`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np
import numpy.typing as npt

from model.features import EncodedProfile
from model.ratings.neighbourhood import RatingModel
from model.results import Explanation, Recommendation

_SCORES = np.arange(1.0, 11.0)
_RECOMMENDATION_FIELDS = tuple(f.name for f in dataclasses.fields(Recommendation))


def profile_scores(
    profile: EncodedProfile,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(corpus positions, 1–10 scores) of the profile's scored input entries: for each value,
    the whole score 1–10 whose hybrid value (the member's own normalizer) is nearest. That is
    the score itself, the normalization being strictly increasing on 1–10, except where the
    ±2.5 clip merged extremes (a 1 from a member whose mean is above ~7 with a wide spread)."""
    rated = profile.indices[profile.scored].astype(np.int64)
    if not rated.size:
        return rated, np.zeros(0)
    grid = profile.normalizer.normalize(_SCORES)
    values = profile.values[profile.scored].astype(np.float64)
    nearest = np.abs(values[:, None] - grid[None, :]).argmin(axis=1)
    return rated, _SCORES[nearest]


def predicted_scores(
    model: RatingModel, profile: EncodedProfile, positions: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """The model's predicted 1–10 scores of corpus ``positions`` for ``profile``."""
    rated, scores = profile_scores(profile)
    return model.predict(rated, scores, positions)


class ShownScores:
    """The predicted scores a recommender shows: the fitted model's where the artifact has one
    (``model`` not None), else left as the rating head made them."""

    def __init__(self, model: RatingModel | None, position: Mapping[int, int]) -> None:
        """``position``: anime id → corpus position."""
        self.model = model
        self._position = position

    def recommendations(
        self, profile: EncodedProfile, recs: Sequence[Recommendation]
    ) -> list[Recommendation]:
        """``recs`` with the model's predicted score on every network-ranked corpus title."""
        slots = [
            j
            for j, r in enumerate(recs)
            if self.model is not None and r.source == "model" and r.anime_id in self._position
        ]
        if self.model is None or not slots:
            return list(recs)
        at = [self._position[recs[j].anime_id] for j in slots]
        predicted = predicted_scores(self.model, profile, at)
        out = list(recs)
        for j, value in zip(slots, predicted, strict=True):
            fields = {name: getattr(out[j], name) for name in _RECOMMENDATION_FIELDS}
            fields["predicted_score"] = float(value)
            out[j] = Recommendation(**fields)  # dataclasses.replace, without its checks per call
        return out

    def fill_targets(
        self, profile: EncodedProfile, found: Sequence[Mapping[str, object] | None]
    ) -> None:
        """Set the model's predicted score in each target (``{"anime_id", …,
        "predicted_score"}``, None outside the corpus) in place."""
        known = [t for t in found if t is not None]
        if self.model is None or not known:
            return
        at = [self._position[int(cast(int, t["anime_id"]))] for t in known]
        for t, value in zip(known, predicted_scores(self.model, profile, at), strict=True):
            cast(dict[str, object], t)["predicted_score"] = float(value)

    def explanation(
        self, profile: EncodedProfile, position: int, found: Explanation
    ) -> Explanation:
        """``found`` (a corpus title's explanation) with the model's predicted score; a listed
        title is predicted with itself left out, like the head's holdout, and its surprise
        follows."""
        if self.model is None:
            return found
        rated, scores = profile_scores(profile)
        keep = rated != position
        value = float(self.model.predict(rated[keep], scores[keep], [position])[0])
        surprise = None if found.user_score is None else found.user_score - value
        return dataclasses.replace(found, predicted_score=value, surprise=surprise)
