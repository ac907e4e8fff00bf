"""Per-title side-channel features of one profile, over the whole catalog at once.

For a member's list, every catalog title gets a small feature vector (``NEW_FEATURES``) that says
what is known of it without the network: whether it follows (a later entry linked by a typed
sequel or MAL's related list) something on the list and how much the member liked that, how
many list entries link to it at all, the cosine of its genres, tags and studios with the list's
taste vector (entries weighted by how much the member liked them), how common its media type is
on the list, its distance in years from the list, and its popularity and mean score. Titles the
network knows get two features of their own (``CORPUS_FEATURES``): the same "follows" signal but
from list entries the network does not know, so those entries still count.

Liking is the entry's hybrid-normalized value (``model.features``; DESIGN.md "Hybrid
normalization"): the same per-member scale the network reads. Everything is vectorized NumPy over
the catalog's rows (about 30k): one request costs a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.coldstart.index import BLOCKS, TitleIndex
from model.features import RatingNormalizer, unscored_score
from model.profile import ProfileEntry, dedupe

NEW_FEATURES = (
    "bias",
    "follows",
    "follows_liked",
    "related",
    "genre",
    "tag",
    "studio",
    "type",
    "era",
    "no_year",
    "popularity",
    "no_popularity",
    "mean",
    "no_mean",
)
"""Features of a title the network does not know (utility θ·x on the log-score scale)."""

CORPUS_FEATURES = ("follows_unknown", "follows_liked_unknown")
"""Features added to the network's log score for titles it knows."""

ERA_CAP = 3.0
"""Decades beyond which the distance in time stops counting."""


@dataclass(frozen=True)
class ProfileFeatures:
    """One profile seen by the side channel.

    ``new``: (n_titles, len(NEW_FEATURES)); ``corpus``: (n_titles, len(CORPUS_FEATURES)), the
    relation signal from list entries unknown to the network only; ``rows``/``values``: the
    catalog rows of the list's input entries and their liking values; ``listed``: catalog rows
    on the list (every status); ``taste``: per content block, the normalized taste vector.
    """

    new: np.ndarray
    corpus: np.ndarray
    rows: np.ndarray
    values: np.ndarray
    scores: np.ndarray
    listed: np.ndarray
    taste: dict[str, np.ndarray]


def liking(entries: Sequence[ProfileEntry]) -> tuple[list[ProfileEntry], np.ndarray]:
    """The input entries (the status rule) and their hybrid-normalized values."""
    kept = [e for e in dedupe(entries) if e.enters_input]
    norm = RatingNormalizer.from_scores([e.score for e in kept])
    raw = np.asarray([e.score for e in kept], dtype=np.float64)
    dropped = np.asarray([e.status == "dropped" for e in kept], dtype=bool)
    stand_in = unscored_score(norm.mean, norm.std, dropped)
    return kept, norm.normalize(np.where(raw > 0, raw, stand_in))


def _follows(
    index: TitleIndex, rows: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per title: whether a strong link makes it a later entry after a list row, and the best
    liking among those rows (0 where none)."""
    n = index.n
    follows = np.zeros(n)
    best = np.full(n, -np.inf)
    if len(rows) == 0:
        return follows, np.zeros(n)
    by_row = np.full(n, np.nan)
    by_row[rows] = values
    links = index.links_of(rows)
    # A link out of a list row r to a later title j: j follows r.
    keep = index.rel_strong[links] & index.rel_later[links]
    links = links[keep]
    dst = index.rel_other[links]
    src_values = by_row[index.rel_source[links]]
    follows[dst] = 1.0
    np.maximum.at(best, dst, src_values)
    return follows, np.where(np.isfinite(best), best, 0.0)


def profile_features(
    index: TitleIndex, entries: Sequence[ProfileEntry], unknown: np.ndarray | None = None
) -> ProfileFeatures:
    """The side-channel features of every catalog title for one list.

    ``unknown`` (bool per input entry, in the order of :func:`liking`) marks the entries the
    network does not know; they alone feed ``corpus``. None: every entry is unknown.
    """
    kept, values = liking(entries)
    rows_all = [index.row(e.anime_id) for e in kept]
    in_catalog = np.asarray([r is not None for r in rows_all], dtype=bool)
    rows = np.asarray([r for r in rows_all if r is not None], dtype=np.int64)
    values = values[in_catalog] if len(kept) else np.zeros(0)
    scores = np.asarray([e.score for e in kept], dtype=np.int64)[in_catalog]
    unknown_mask = (
        np.ones(len(rows), dtype=bool)
        if unknown is None
        else np.asarray(unknown, dtype=bool)[in_catalog]
    )
    n = index.n
    new = np.zeros((n, len(NEW_FEATURES)))
    new[:, 0] = 1.0
    follows, follows_liked = _follows(index, rows, values)
    new[:, 1], new[:, 2] = follows, follows_liked

    related = np.zeros(n)
    if len(rows):
        np.add.at(related, index.rel_other[index.links_of(rows)], 1.0)
    new[:, 3] = np.log1p(related)

    weights = np.maximum(values + 1.0, 0.0)
    taste: dict[str, np.ndarray] = {}
    for j, block in enumerate(BLOCKS):
        csr = index.content[block]
        u = csr.rows_sum(rows, weights) if len(rows) else np.zeros(csr.n_cols)
        norm = float(np.linalg.norm(u))
        taste[block] = u / norm if norm > 0 else u
        new[:, 4 + j] = csr.dot(taste[block]) if norm > 0 else 0.0

    total = weights.sum()
    if total > 0:
        share = (
            np.bincount(index.media_code[rows], weights, minlength=len(index.media_names)) / total
        )
        new[:, 7] = share[index.media_code]
        dated = index.has_year[rows]
        if dated.any() and weights[dated].sum() > 0:
            center = np.average(index.year[rows][dated], weights=weights[dated] + 1e-9)
            era = np.minimum(np.abs(index.year - center) / 10.0, ERA_CAP)
            new[:, 8] = np.where(index.has_year, era, 0.0)
    new[:, 9] = ~index.has_year
    new[:, 10] = index.popularity
    new[:, 11] = ~index.has_popularity
    new[:, 12] = index.mean
    new[:, 13] = ~index.has_mean

    corpus = np.zeros((n, len(CORPUS_FEATURES)))
    if unknown_mask.any():
        f, liked = _follows(index, rows[unknown_mask], values[unknown_mask])
        corpus[:, 0], corpus[:, 1] = f, liked
    return ProfileFeatures(
        new=new,
        corpus=corpus,
        rows=rows,
        values=values,
        scores=scores,
        listed=index.rows_of(e.anime_id for e in dedupe(entries)),
        taste=taste,
    )
