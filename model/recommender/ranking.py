"""Candidate filtering, top-k and the returned values of a pass (DESIGN.md, "Score")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypedDict

import numpy as np

from model.features import EncodedProfile
from model.forward import ProfilePass
from model.recommender.query import QueryMemo, RecommendationQuery
from model.reference import unified_score
from model.results import Contributor, Recommendation


class Target(TypedDict):
    """What the model says of one given title for a profile."""

    anime_id: int
    presence: float
    predicted_score: float  # 1–10


class CandidateFilter:
    """Which corpus titles a query may return: by media type, not on the list, not excluded."""

    def __init__(self, media_types: Sequence[str], position: Callable[[int], int | None]) -> None:
        """``media_types`` per corpus position; ``position`` maps a MAL id to its position."""
        media = np.asarray(media_types)
        self.n_items = len(media)
        self._media_masks = {str(m): media == m for m in np.unique(media)}
        self._position = position
        self._base = QueryMemo(self._query_mask)

    @property
    def media_types(self) -> tuple[str, ...]:
        """The corpus's media types, sorted."""
        return tuple(sorted(self._media_masks))

    def mask(self, profile: EncodedProfile, query: RecommendationQuery) -> np.ndarray:
        """(N,) True for the titles ``query`` may return to ``profile``.

        Titles on the list are out (plan-to-watch ones too unless ``include_planned``).
        """
        mask = self._base((query.media, query.exclude)).copy()
        on_list = profile.excluded
        if query.include_planned and len(profile.planned):
            on_list = np.setdiff1d(on_list, profile.planned)
        mask[on_list] = False
        return mask

    def _query_mask(self, key: tuple[frozenset[str] | None, frozenset[int]]) -> np.ndarray:
        """(N,) True for the titles of the media types that are not excluded (the part of
        :meth:`mask` the list does not change)."""
        media, exclude = key
        if media is None:
            mask = np.ones(self.n_items, dtype=bool)
        else:
            mask = np.zeros(self.n_items, dtype=bool)
            for m in media:
                found = self._media_masks.get(str(m).lower())
                if found is not None:
                    mask |= found
        for anime_id in exclude:
            pos = self._position(anime_id)
            if pos is not None:
                mask[pos] = False
        return mask


def top_k(run: ProfilePass, mask: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best candidates of ``mask``, best first (ties: lower position)."""
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    candidates = np.flatnonzero(mask)
    if len(candidates) == 0:
        return candidates
    candidates, scores = run.ranking(candidates, k)
    if len(candidates) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        candidates, scores = candidates[part], scores[part]
    order = np.lexsort((candidates, -scores))
    best: np.ndarray = candidates[order]
    return best


def recommendations(
    run: ProfilePass,
    top: np.ndarray,
    corpus_ids: np.ndarray,
    contributors: Sequence[tuple[Contributor, ...]] = (),
) -> list[Recommendation]:
    """The titles at positions ``top``, with unified score, presence and predicted score."""
    if len(top) == 0:
        return []
    presence = run.presence_at(top)
    ratings = run.ratings_at(top)
    scores = unified_score(presence, ratings, run.weight)
    predicted = run.profile.normalizer.denormalize(ratings)
    return [
        Recommendation(
            anime_id=int(corpus_ids[pos]),
            score=float(scores[j]),
            presence=float(presence[j]),
            predicted_score=float(predicted[j]),
            contributors=contributors[j] if contributors else (),
        )
        for j, pos in enumerate(top)
    ]


def targets(
    run: ProfilePass, anime_ids: Sequence[int], index: Mapping[int, int]
) -> list[Target | None]:
    """:class:`Target` per id from the full profile; None for ids outside the corpus."""
    positions = [index.get(int(a)) for a in anime_ids]
    known = np.asarray([p for p in positions if p is not None], dtype=np.int64)
    presence = run.presence_at(known)
    predicted = run.profile.normalizer.denormalize(run.ratings_at(known))
    out: list[Target | None] = []
    j = 0
    for anime_id, pos in zip(anime_ids, positions, strict=True):
        if pos is None:
            out.append(None)
            continue
        out.append(
            {
                "anime_id": int(anime_id),
                "presence": float(presence[j]),
                "predicted_score": float(predicted[j]),
            }
        )
        j += 1
    return out
