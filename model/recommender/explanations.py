"""Explained recommendations, profile insights and one title's explanation from a pass.

An entry's contribution to a title is the drop in the title's unified score when the entry is
left out of the profile (DESIGN.md, "Explanations"; the variants come from
:func:`model.explain.holdout`). "Most impactful" entries have the largest total effect over the
top recommendations; "most surprising" are scored entries furthest from the score the model
predicts with that entry left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.explain import Holdout, Parallel, holdout, serial
from model.forward import ProfilePass
from model.profile import ProfileEntry, dedupe
from model.recommender.ranking import recommendations
from model.results import Contributor, Explanation, ProfileInsights, Recommendation

MIN_VARIANTS_PER_WORKER = 16
"""Below this many variants per worker, splitting a holdout pass costs more than it saves."""


def holdout_of(run: ProfilePass, columns: np.ndarray, split: Parallel) -> Holdout:
    """The pass's leave-one-out variants at ``columns``, split only where it pays off."""
    inp = run.inp
    # The tasks are cut the same way either way: threads only where they pay off.
    small = inp.size < 2 * MIN_VARIANTS_PER_WORKER
    return holdout(
        run.engine, inp, run.pre0, run.graft, columns, parallel=serial if small else split
    )


def analyze(
    run: ProfilePass,
    entries: Sequence[ProfileEntry],
    best: np.ndarray,
    corpus_ids: np.ndarray,
    *,
    top: int,
    per_title: int,
    split: Parallel,
    insights: bool = True,
) -> tuple[list[Recommendation], ProfileInsights]:
    """The titles at positions ``best`` with their ``per_title`` top contributors, and the
    profile's ``top`` most impactful and most surprising entries, from one holdout pass
    (``insights`` False: empty ones, for a caller that drops them; the variants are then only
    read at ``best``)."""
    profile, inp = run.profile, run.inp
    none = ProfileInsights((), (), profile.unknown_ids)
    if inp.size == 0:
        return recommendations(run, best, corpus_ids), none
    scored = inp.indices[profile.scored] if insights else best[:0]
    columns = np.unique(np.concatenate([best, scored]))
    held = holdout_of(run, columns, split)
    where = np.searchsorted(columns, best)
    effects = run.scores_at(columns)[None, :] - held.scores(run.weight)  # (n, C)
    ids = corpus_ids[inp.indices]

    # Per title, its entries by effect (a stable sort per column, all columns at once).
    picked = effects[:, where]
    order = np.argsort(-picked, axis=0, kind="stable")[:per_title]
    found = np.take_along_axis(picked, order, axis=0).T.tolist()
    contributors = [
        tuple(Contributor(a, e) for a, e in zip(entries, effect, strict=True) if e > 0)
        for entries, effect in zip(ids[order].T.tolist(), found, strict=True)
    ]
    recs = recommendations(run, best, corpus_ids, contributors)
    if not insights:
        return recs, none

    total = effects[:, where].sum(axis=1) if len(where) else np.zeros(inp.size)
    impact_order = np.argsort(-total, kind="stable")[:top]
    impactful = tuple(Contributor(int(ids[i]), float(total[i])) for i in impact_order)

    # Each scored entry's rating as predicted with that entry left out.
    scored_rows = np.flatnonzero(profile.scored)
    own_cols = np.searchsorted(columns, inp.indices[scored_rows])
    predicted = profile.normalizer.denormalize(held.ratings[scored_rows, own_cols])
    user = {e.anime_id: e.score for e in dedupe(entries)}
    user_scores = np.asarray([user[int(ids[i])] for i in scored_rows], dtype=np.float64)
    gap = np.abs(user_scores - predicted)
    surprising = tuple(
        (int(ids[scored_rows[j]]), int(user_scores[j]), float(predicted[j]))
        for j in np.argsort(-gap, kind="stable")[:top]
    )
    return recs, ProfileInsights(impactful, surprising, profile.unknown_ids)


def outside_corpus(anime_id: int, entry: ProfileEntry | None) -> Explanation:
    """The explanation of a title the model does not know."""
    user_score = entry.score if entry is not None and entry.is_scored else None
    return Explanation(
        int(anime_id), False, entry is not None, None, None, None, None, user_score, None, ()
    )


def explain_title(
    run: ProfilePass,
    anime_id: int,
    pos: int,
    entry: ProfileEntry | None,
    corpus_ids: np.ndarray,
    *,
    contributors: int,
    split: Parallel,
) -> Explanation:
    """Rank, scores and the ``contributors`` entries with the largest |effect| for the title at
    corpus position ``pos``; ``entry`` is the title's list entry, if listed.

    A listed title's scores are those with its own entry left out; only a title not on the list
    has a rank (``run`` is then a ranking pass).
    """
    user_score = entry.score if entry is not None and entry.is_scored else None
    profile, inp = run.profile, run.inp
    column = np.asarray([pos], dtype=np.int64)
    own = np.flatnonzero(inp.indices == pos)
    score = float(run.scores_at(column)[0])
    presence = float(run.presence_at(column)[0])
    rating = float(run.ratings_at(column)[0])
    effects = np.zeros(0)
    if inp.size:
        held = holdout_of(run, column, split)
        variant = held.scores(run.weight)[:, 0]
        effects = score - variant
        if len(own):
            i = int(own[0])
            score = float(variant[i])
            presence = float(held.presence()[i, 0])
            rating = float(held.ratings[i, 0])
            effects[i] = 0.0
    rank = None
    if entry is None:
        log_scores = run.log_scores()
        mask = np.ones(len(log_scores), dtype=bool)
        mask[profile.excluded] = False
        rank = 1 + int(np.count_nonzero(log_scores[mask] > log_scores[pos]))
    predicted = float(profile.normalizer.denormalize(rating))
    ids = corpus_ids[inp.indices]
    order = [i for i in np.argsort(-np.abs(effects), kind="stable") if effects[i] != 0]
    found = tuple(Contributor(int(ids[i]), float(effects[i])) for i in order[:contributors])
    surprise = user_score - predicted if user_score is not None else None
    return Explanation(
        anime_id=int(anime_id),
        in_corpus=True,
        on_list=entry is not None,
        rank=rank,
        score=score,
        presence=presence,
        predicted_score=predicted,
        user_score=user_score,
        surprise=surprise,
        contributors=found,
    )
