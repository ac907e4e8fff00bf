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
from model.coldstart.rowdot import RowDot
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

MISSING_FEATURES = ("no_year", "no_popularity", "no_mean")
"""Indicators of missing information: their coefficients are kept ≤ 0 (missing information never
raises a score; a title lacks a year, popularity or mean mostly because it has not aired, and
data where missingness rides along with positives must not teach the opposite)."""

CORPUS_FEATURES = ("follows_unknown", "follows_liked_unknown")
"""Features added to the network's log score for titles it knows."""

ERA_CAP = 3.0
"""Decades beyond which the distance in time stops counting."""


@dataclass(frozen=True)
class ListView:
    """One list as the side channel reads it: the catalog rows of its input entries, their
    liking values, scores, which the network does not know, their taste weights
    ``max(value + 1, 0)``, the normalized taste vector per content block, and every catalog row
    on the list (all statuses)."""

    rows: np.ndarray
    values: np.ndarray
    scores: np.ndarray
    unknown: np.ndarray
    weights: np.ndarray
    taste: dict[str, np.ndarray]
    listed: np.ndarray


@dataclass(frozen=True)
class ProfileFeatures(ListView):
    """A :class:`ListView` with every title's features: ``new`` (n, len(NEW_FEATURES)) and
    ``corpus`` (n, len(CORPUS_FEATURES)), the relation signal of unknown entries only."""

    new: np.ndarray
    corpus: np.ndarray


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


def list_view(
    index: TitleIndex, entries: Sequence[ProfileEntry], unknown: np.ndarray | None = None
) -> ListView:
    """The :class:`ListView` of a list; ``unknown`` (bool per input entry, in the order of
    :func:`liking`) marks the entries the network does not know (None: all of them)."""
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
    weights = np.maximum(values + 1.0, 0.0)
    taste: dict[str, np.ndarray] = {}
    for block in BLOCKS:
        csr = index.content[block]
        u = csr.rows_sum(rows, weights) if len(rows) else np.zeros(csr.n_cols)
        norm = float(np.linalg.norm(u))
        taste[block] = u / norm if norm > 0 else u
    return ListView(
        rows=rows,
        values=values,
        scores=scores,
        unknown=unknown_mask,
        weights=weights,
        taste=taste,
        listed=index.rows_of(e.anime_id for e in dedupe(entries)),
    )


def _related(index: TitleIndex, view: ListView) -> tuple[np.ndarray, np.ndarray]:
    """(rows linked to the list by any link, log1p of how many list entries link to each)."""
    if len(view.rows) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    touched, counts = np.unique(index.rel_other[index.links_of(view.rows)], return_counts=True)
    return touched, np.log1p(counts)


def _type_and_era(index: TitleIndex, view: ListView) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per title: the share of the list's taste weight of its media type; its distance in
    decades from the list's weighted mean year (capped; 0 without a year)."""
    rows, weights = view.rows, view.weights
    total = weights.sum()
    if total <= 0:
        return None, None
    share = np.bincount(index.media_code[rows], weights, minlength=len(index.media_names))
    type_share = (share / total)[index.media_code]
    dated = index.has_year[rows]
    if not dated.any() or weights[dated].sum() <= 0:
        return type_share, None
    center = np.average(index.year[rows][dated], weights=weights[dated] + 1e-9)
    era = np.minimum(np.abs(index.year - center) / 10.0, ERA_CAP)
    return type_share, np.where(index.has_year, era, 0.0)


def static_features(index: TitleIndex) -> np.ndarray:
    """(n, len(NEW_FEATURES)): the columns that do not depend on the list (bias, priors)."""
    out = np.zeros((index.n, len(NEW_FEATURES)))
    col = NEW_FEATURES.index
    out[:, col("bias")] = 1.0
    out[:, col("no_year")] = ~index.has_year
    out[:, col("popularity")] = index.popularity
    out[:, col("no_popularity")] = ~index.has_popularity
    out[:, col("mean")] = index.mean
    out[:, col("no_mean")] = ~index.has_mean
    return out


def profile_features(
    index: TitleIndex, entries: Sequence[ProfileEntry], unknown: np.ndarray | None = None
) -> ProfileFeatures:
    """The side-channel features of every catalog title for one list (what the calibration is
    fitted on; serving computes the same utilities without the matrix, :func:`new_utility`).

    ``unknown`` (bool per input entry, in the order of :func:`liking`) marks the entries the
    network does not know; they alone feed ``corpus``. None: every entry is unknown.
    """
    view = list_view(index, entries, unknown)
    col = NEW_FEATURES.index
    new = static_features(index)
    new[:, col("follows")], new[:, col("follows_liked")] = _follows(index, view.rows, view.values)
    touched, related = _related(index, view)
    new[touched, col("related")] = related
    for block in BLOCKS:
        if view.taste[block].any():
            new[:, col(block)] = index.content[block].dot(view.taste[block])
    type_share, era = _type_and_era(index, view)
    if type_share is not None:
        new[:, col("type")] = type_share
    if era is not None:
        new[:, col("era")] = era
    corpus = np.zeros((index.n, len(CORPUS_FEATURES)))
    if view.unknown.any():
        corpus[:, 0], corpus[:, 1] = _follows(
            index, view.rows[view.unknown], view.values[view.unknown]
        )
    return ProfileFeatures(
        rows=view.rows,
        values=view.values,
        scores=view.scores,
        unknown=view.unknown,
        weights=view.weights,
        taste=view.taste,
        listed=view.listed,
        new=new,
        corpus=corpus,
    )


def new_utility(
    index: TitleIndex,
    view: ListView,
    theta: np.ndarray,
    static: np.ndarray,
    content: RowDot | None = None,
    extra: np.ndarray | None = None,
) -> np.ndarray:
    """(n,) ``profile_features(...).new @ theta`` without the matrix: ``static`` is
    ``static_features(index) @ theta``; the content columns go through one sparse product,
    over ``content``'s rows and the ``extra`` rows (none of them ``content``'s) only when
    given (the other rows then lack the content term: for a caller that never reads them)."""
    col = NEW_FEATURES.index
    u = static.copy()
    follows, liked = _follows(index, view.rows, view.values)
    u += theta[col("follows")] * follows + theta[col("follows_liked")] * liked
    touched, related = _related(index, view)
    u[touched] += theta[col("related")] * related
    v = np.concatenate([theta[col(block)] * view.taste[block] for block in BLOCKS])
    if v.any() and content is not None:
        u[content.rows] += content.dot(v)
        if extra is not None and len(extra):
            u[extra] += index.content_all.dot_at(v, extra)
    elif v.any():
        u += index.content_all.dot(v)
    type_share, era = _type_and_era(index, view)
    if type_share is not None:
        u += theta[col("type")] * type_share
    if era is not None:
        u += theta[col("era")] * era
    return u


def corpus_utility(index: TitleIndex, view: ListView, theta: np.ndarray) -> np.ndarray:
    """(n,) ``profile_features(...).corpus @ theta``."""
    if not view.unknown.any():
        return np.zeros(index.n)
    follows, liked = _follows(index, view.rows[view.unknown], view.values[view.unknown])
    out: np.ndarray = theta[0] * follows + theta[1] * liked
    return out
