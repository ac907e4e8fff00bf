"""A vectorized :func:`model.features.encode_profile` for serving.

Same rule, same numbers (tested equal on random profiles); it only avoids per-entry NumPy calls:
the unscored values depend on the status alone (μ for watched, μ − 1.5σ for dropped), so each is
computed once per profile instead of once per entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from model.features import EncodedProfile, RatingNormalizer
from model.profile import WATCHED_STATUSES, ProfileEntry


def encode_entries(entries: Sequence[ProfileEntry], index: Mapping[int, int]) -> EncodedProfile:
    """Equal to ``encode_profile(entries, index)``, faster for long lists."""
    latest: dict[int, ProfileEntry] = {}
    for entry in entries:  # dedupe: a later row wins
        latest[entry.anime_id] = entry
    unknown: list[int] = []
    positions: list[int] = []
    kept: list[ProfileEntry] = []
    for anime_id, entry in latest.items():
        position = index.get(anime_id)
        if position is None:
            unknown.append(anime_id)
        else:
            positions.append(position)
            kept.append(entry)
    count = len(kept)
    pos = np.fromiter(positions, dtype=np.int64, count=count)
    order = np.argsort(pos, kind="stable")
    pos = pos[order]
    kept = [kept[i] for i in order]
    scores = np.fromiter((e.score for e in kept), dtype=np.int64, count=count)
    status = [e.status for e in kept]
    scored = scores > 0
    watched = np.fromiter(
        (s is None or s in WATCHED_STATUSES for s in status), dtype=bool, count=count
    )
    enters = scored | watched
    dropped = np.fromiter((s == "dropped" for s in status), dtype=bool, count=count)
    planned_mask = np.fromiter((s == "plan_to_watch" for s in status), dtype=bool, count=count)

    normalizer = RatingNormalizer.from_scores(scores[scored].tolist())
    in_scores = scores[enters]
    in_scored = scored[enters]
    values = np.empty(len(in_scores), dtype=np.float32)
    if len(in_scores):
        values[:] = normalizer.normalize(in_scores.astype(np.float64))
        unscored = ~in_scored
        if unscored.any():
            in_dropped = dropped[enters]
            values[unscored & ~in_dropped] = normalizer.unscored_value("completed")
            values[unscored & in_dropped] = normalizer.unscored_value("dropped")
    return EncodedProfile(
        indices=pos[enters],
        values=values,
        scored=in_scored,
        planned=pos[planned_mask],
        excluded=pos,
        normalizer=normalizer,
        unknown_ids=tuple(unknown),
    )
