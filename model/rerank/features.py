"""The second stage's features of one list's candidates (the first stage's top titles).

Per candidate: the first stage's logit and log rank, the network's own share of the logit (the
presence residual over the graft) and its predicted rating, the title's popularity and mean
score, how the title relates to the list through the catalog's relations (how many list
entries link to it, whether it follows a listed title and how much that one was liked, how
many list entries share its franchise), the cosine of its genres, tags and studios with the
list's taste (entries weighted by liking, ``max(value + 1, 0)`` on the hybrid scale, as the side
channel does: ``model.coldstart.features``), how common its media type is on the list, its
distance in decades from the list, two interactions with the list's size, and from the graft's
rows of the listed titles (g·G[i, c]) the strongest single neighbour and their sum weighted by
liking (the hybrid value: liked entries pull, disliked ones push).
"""

from __future__ import annotations

import numpy as np

from model.rerank.tables import BLOCKS, FEATURES, Tables

__all__ = ["COLUMN", "ERA_CAP", "FEATURES", "candidates", "profile_features", "rerank_logits"]

COLUMN = {name: i for i, name in enumerate(FEATURES)}
_LOGIT, _LOG_RANK, _NETWORK, _RATING = (
    COLUMN[k] for k in ("logit", "log_rank", "network", "rating")
)
_POPULARITY, _RELATED, _FOLLOWS = COLUMN["popularity"], COLUMN["related"], COLUMN["follows"]
_FOLLOWS_LIKED, _FRANCHISE = COLUMN["follows_liked"], COLUMN["franchise"]
_TYPE, _ERA = COLUMN["type"], COLUMN["era"]
_CONTENT = slice(COLUMN[BLOCKS[0]], COLUMN[BLOCKS[-1]] + 1)  # the blocks' columns, in order
_LOGIT_X_SIZE, _POPULARITY_X_SIZE = COLUMN["logit_x_size"], COLUMN["popularity_x_size"]
_GRAFT_MAX, _GRAFT_LIKED = COLUMN["graft_max"], COLUMN["graft_liked"]
ERA_CAP = 3.0  # decades beyond which the distance stops counting


def candidates(logits: np.ndarray, listed: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` titles with the highest logits that are not on the list, best first."""
    # The negated logits in one new array (float32 like the logits, half the bytes): the same
    # values the selection and the sort below always read (−scores), negated once.
    negated = np.negative(np.asarray(logits, np.float32))
    negated[listed] = np.inf
    top = np.argpartition(negated, k - 1)[:k] if 0 < k <= len(negated) else None
    if top is None or not np.isfinite(negated[top]).all():
        # Fewer than k finite logits (else the k best are finite): only those, counted.
        k = min(k, int(np.count_nonzero(np.isfinite(negated))))
        if k <= 0:
            return np.empty(0, np.int64)
        top = np.argpartition(negated, k - 1)[:k]
    # Best first; ties: the lower position first.
    out: np.ndarray = top[np.lexsort((top, negated[top]))].astype(np.int64)
    return out


def _links(tables: Tables, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the listed titles' relations (``model.coldstart.index.spans``, with
    the per-title link counts kept from load) and each listed title's count."""
    lengths = tables.rel_lengths[indices]
    if len(indices) == 0:
        return np.empty(0, np.int64), lengths
    ends = np.cumsum(lengths)
    offsets = np.repeat(tables.rel_indptr[indices] - (ends - lengths), lengths)
    links: np.ndarray = np.arange(int(ends[-1]), dtype=np.int64) + offsets
    return links, lengths


def _content(
    tables: Tables, weights: np.ndarray, listed: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    """(C, blocks): the cosine of each candidate's content with the list's taste vector (the
    liking-weighted sum of the listed titles' content), per block, in the embedding space."""
    embedding, block = tables.content_wide
    taste = weights @ embedding[listed]
    norms = np.sqrt(np.bincount(block, taste * taste, minlength=len(BLOCKS)))
    taste = taste / np.where(norms > 0, norms, 1.0)[block]
    by_block = np.zeros((len(block), len(BLOCKS)))
    by_block[tables.content_slots] = taste
    out: np.ndarray = embedding[cand] @ by_block
    return out


def profile_features(
    tables: Tables,
    indices: np.ndarray,
    values: np.ndarray,
    cand: np.ndarray,
    logits: np.ndarray,
    graft: np.ndarray,
    ratings: np.ndarray,
    neighbours: np.ndarray | None = None,
) -> np.ndarray:
    """(C, len(FEATURES)) for one list (its input ``indices`` and hybrid ``values``) and its
    candidates ``cand`` with their logits, graft part of the logits, predicted ratings and
    the graft's (len(indices), C) rows ``neighbours`` (None: no graft)."""
    indices = np.asarray(indices, np.int64)
    values = np.asarray(values, np.float64)
    weights = np.maximum(values + 1.0, 0.0)
    c = len(cand)
    # The per-title columns (popularity, mean, no_year) in one gather; the rest start at zero.
    out: np.ndarray = tables.title_features[cand]
    size = np.log1p(len(indices)) / 5.0
    out[:, _LOGIT] = logits
    out[:, _LOG_RANK] = np.log1p(np.arange(c))
    out[:, _NETWORK] = np.asarray(logits, np.float64) - graft
    out[:, _RATING] = ratings
    links, lengths = _links(tables, indices)
    source = np.repeat(values, lengths)
    other = tables.rel_other[links]
    out[:, _RELATED] = np.log1p(np.bincount(other, minlength=tables.n_items)[cand])
    follows = tables.rel_follows[links]
    best = np.full(tables.n_items, -np.inf)
    np.maximum.at(best, other[follows], source[follows])
    best = best[cand]
    followed = np.isfinite(best)
    out[:, _FOLLOWS] = followed
    out[:, _FOLLOWS_LIKED] = np.where(followed, best, 0.0)
    # Franchise groups renumbered densely at load: a count per group, read at the candidates.
    group = tables.franchise_dense
    in_group = np.bincount(group[indices], minlength=tables.n_franchises)[group[cand]]
    out[:, _FRANCHISE] = np.log1p(in_group.astype(np.float64))
    out[:, _CONTENT] = _content(tables, weights, indices, cand)
    total = weights.sum()
    if total > 0:
        share = np.bincount(tables.media[indices], weights, minlength=tables.n_media)
        out[:, _TYPE] = share[tables.media[cand]] / total
        year = tables.year[indices]
        dated = year > 0
        w = weights[dated]
        scale = w.sum()
        if scale > 0:
            center = np.multiply(year[dated], w).sum() / scale  # np.average's operations
            year_cand = tables.year[cand]
            era = np.minimum(np.abs(year_cand - center) / 10.0, ERA_CAP)
            out[:, _ERA] = np.where(year_cand > 0, era, 0.0)
    out[:, _LOGIT_X_SIZE] = out[:, _LOGIT] * size
    out[:, _POPULARITY_X_SIZE] = out[:, _POPULARITY] * size
    if neighbours is not None and len(indices):
        out[:, _GRAFT_MAX] = neighbours.max(axis=0)
        out[:, _GRAFT_LIKED] = values @ neighbours
    return out


def rerank_logits(
    tables: Tables,
    indices: np.ndarray,
    values: np.ndarray,
    logits: np.ndarray,
    graft: np.ndarray | None,
    ratings_at: np.ndarray | None,
    cand: np.ndarray,
    neighbours: np.ndarray | None = None,
) -> np.ndarray:
    """(N,) float32: the logits with each candidate's learned change added; every other title
    is moved down by the most negative change, so none overtakes a candidate (candidates are
    the best logits) and the order outside the candidates is kept."""
    out = np.array(logits, np.float32)
    if len(cand) == 0:
        return out
    base = out[cand].astype(np.float64)
    g = base if graft is None else np.asarray(graft)[cand].astype(np.float64)
    r = np.zeros(len(cand)) if ratings_at is None else np.asarray(ratings_at, np.float64)
    x = profile_features(tables, indices, values, cand, base, g, r, neighbours)
    delta = tables.delta(x)
    shift = min(float(delta.min()), 0.0)
    out += np.float32(shift)
    out[cand] = base + delta
    return out
