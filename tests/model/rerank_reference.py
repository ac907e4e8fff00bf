"""The second stage's features as first written (one gather and cast per feature, per call):
the reference the served :func:`model.rerank.features.profile_features` must match bit for
bit (``tests/model/test_rerank_fast.py``)."""

from __future__ import annotations

import numpy as np

from model.coldstart.index import spans
from model.rerank.tables import BLOCKS, FEATURES, Tables

ERA_CAP = 3.0


def reference_content(
    tables: Tables, weights: np.ndarray, listed: np.ndarray, cand: np.ndarray
) -> np.ndarray:
    blocks = [np.asarray(tables.content[b], np.float32) for b in BLOCKS]
    block = np.repeat(np.arange(len(blocks)), [e.shape[1] for e in blocks])
    embedding = np.ascontiguousarray(np.concatenate(blocks, axis=1))
    taste = weights @ embedding[listed]
    norms = np.sqrt(np.bincount(block, taste * taste, minlength=len(BLOCKS)))
    taste = taste / np.where(norms > 0, norms, 1.0)[block]
    by_block = np.zeros((len(block), len(BLOCKS)))
    by_block[np.arange(len(block)), block] = taste
    out: np.ndarray = embedding[cand] @ by_block
    return out


def reference_features(
    tables: Tables,
    indices: np.ndarray,
    values: np.ndarray,
    cand: np.ndarray,
    logits: np.ndarray,
    graft: np.ndarray,
    ratings: np.ndarray,
    neighbours: np.ndarray | None = None,
) -> np.ndarray:
    n = tables.n_items
    indices = np.asarray(indices, np.int64)
    values = np.asarray(values, np.float64)
    weights = np.maximum(values + 1.0, 0.0)
    c = len(cand)
    out = np.zeros((c, len(FEATURES)))
    col = {name: i for i, name in enumerate(FEATURES)}.__getitem__
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
    hit = found < len(groups)
    hit[hit] = groups[found[hit]] == tables.franchise[cand][hit]
    in_group[hit] = counts[found[hit]]
    out[:, col("franchise")] = np.log1p(in_group)
    sims = reference_content(tables, weights, indices, cand)
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


def reference_candidates(logits: np.ndarray, listed: np.ndarray, k: int) -> np.ndarray:
    scores = np.array(logits, np.float32)
    scores[listed] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return np.empty(0, np.int64)
    top = np.sort(np.argpartition(-scores, k - 1)[:k])
    out: np.ndarray = top[np.argsort(-scores[top], kind="stable")].astype(np.int64)
    return out
