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

from model.coldstart.index import spans
from model.rerank.tables import BLOCKS, Tables

FEATURES = (
    "logit",
    "log_rank",
    "network",
    "rating",
    "popularity",
    "mean",
    "related",
    "follows",
    "follows_liked",
    "franchise",
    "genre",
    "tag",
    "studio",
    "type",
    "era",
    "no_year",
    "logit_x_size",
    "popularity_x_size",
    "graft_max",
    "graft_liked",
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}
ERA_CAP = 3.0  # decades beyond which the distance stops counting


def candidates(logits: np.ndarray, listed: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` titles with the highest logits that are not on the list, best first."""
    scores = np.array(logits, np.float32)  # a copy; float32 like the logits, half the bytes
    scores[listed] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.empty(0, np.int64)
    top = np.sort(np.argpartition(-scores, k - 1)[:k])  # ties: the lower position first
    out: np.ndarray = top[np.argsort(-scores[top], kind="stable")].astype(np.int64)
    return out


def _content(
    tables: Tables, weights: np.ndarray, listed: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    """(C, blocks): the cosine of each candidate's content with the list's taste vector (the
    liking-weighted sum of the listed titles' content), per block, in the embedding space."""
    embedding, block = tables.content_all
    taste = weights @ embedding[listed]
    norms = np.sqrt(np.bincount(block, taste * taste, minlength=len(BLOCKS)))
    taste = taste / np.where(norms > 0, norms, 1.0)[block]
    by_block = np.zeros((len(block), len(BLOCKS)))
    by_block[np.arange(len(block)), block] = taste
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
    n = tables.n_items
    indices = np.asarray(indices, np.int64)
    values = np.asarray(values, np.float64)
    weights = np.maximum(values + 1.0, 0.0)
    c = len(cand)
    out = np.zeros((c, len(FEATURES)))
    col = COLUMN.__getitem__
    size = np.log1p(len(indices)) / 5.0
    out[:, col("logit")] = logits
    out[:, col("log_rank")] = np.log1p(np.arange(c))
    out[:, col("network")] = np.asarray(logits, np.float64) - graft
    out[:, col("rating")] = ratings
    out[:, col("popularity")] = tables.popularity[cand]
    out[:, col("mean")] = tables.mean[cand]
    links = spans(tables.rel_indptr, indices)
    source = np.repeat(values, tables.rel_indptr[indices + 1] - tables.rel_indptr[indices])
    other = tables.rel_other[links]
    out[:, col("related")] = np.log1p(np.bincount(other, minlength=n)[cand])
    follows = tables.rel_follows[links]
    best = np.full(n, -np.inf)
    np.maximum.at(best, other[follows], source[follows])
    out[:, col("follows")] = np.isfinite(best[cand])
    out[:, col("follows_liked")] = np.where(np.isfinite(best[cand]), best[cand], 0.0)
    groups, counts = np.unique(tables.franchise[indices], return_counts=True)
    in_group = np.zeros(len(cand))
    found = np.searchsorted(groups, tables.franchise[cand])
    hit = found < len(groups)  # an empty list has no groups: nothing to index
    hit[hit] = groups[found[hit]] == tables.franchise[cand][hit]
    in_group[hit] = counts[found[hit]]
    out[:, col("franchise")] = np.log1p(in_group)
    sims = _content(tables, weights, indices, cand)
    for b, block in enumerate(BLOCKS):
        out[:, col(block)] = sims[:, b]
    total = weights.sum()
    if total > 0:
        share = np.bincount(tables.media[indices], weights, minlength=int(tables.media.max()) + 1)
        out[:, col("type")] = share[tables.media[cand]] / total
        dated = tables.year[indices] > 0
        if weights[dated].sum() > 0:
            center = np.average(tables.year[indices][dated], weights=weights[dated])
            era = np.minimum(np.abs(tables.year[cand] - center) / 10.0, ERA_CAP)
            out[:, col("era")] = np.where(tables.year[cand] > 0, era, 0.0)
    out[:, col("no_year")] = tables.year[cand] <= 0
    out[:, col("logit_x_size")] = out[:, col("logit")] * size
    out[:, col("popularity_x_size")] = out[:, col("popularity")] * size
    if neighbours is not None and len(indices):
        out[:, col("graft_max")] = neighbours.max(axis=0)
        out[:, col("graft_liked")] = values @ neighbours
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
    g = base if graft is None else np.asarray(graft, np.float64)[cand]
    r = np.zeros(len(cand)) if ratings_at is None else np.asarray(ratings_at, np.float64)
    x = profile_features(tables, indices, values, cand, base, g, r, neighbours)
    delta = tables.delta(x)
    shift = min(float(delta.min()), 0.0)
    out += np.float32(shift)
    out[cand] = base + delta
    return out
