"""The second stage's per-title tables for a dataset's corpus, from the catalog.

Popularity and mean score come from the training users (standardized); year, media type,
franchise, relations and content (genres, tags, studios) from the catalog
(``model.coldstart.index.TitleIndex``), restricted to the corpus. Titles the catalog lacks get
no year, no content and no relations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.coldstart.index import Csr, TitleIndex, spans
from model.rerank.tables import BLOCKS
from training.dataset import TRAIN, Dataset

MAX_DIM = 96  # embedding width of a content block with a larger vocabulary


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def item_mean_scores(dataset: Dataset, shrinkage: float = 10.0) -> np.ndarray:
    """Per item, the training users' mean 1–10 score shrunk toward the global mean."""
    rows = dataset.users(TRAIN)
    lengths = np.diff(dataset.indptr)
    owner = np.repeat(np.arange(dataset.n_users), lengths)
    mask = np.isin(owner, rows) & (dataset.scores > 0)
    items = dataset.indices[mask]
    scores = dataset.scores[mask].astype(np.float64)
    total = np.bincount(items, scores, minlength=dataset.n_items)
    count = np.bincount(items, minlength=dataset.n_items)
    mu = scores.mean() if scores.size else 7.0
    out: np.ndarray = (total + shrinkage * mu) / (count + shrinkage)
    return out


def content_embedding(csr: Csr, rows: np.ndarray, max_dim: int = MAX_DIM) -> np.ndarray:
    """(len(rows), d) float32 E with E·Eᵀ ≈ R·Rᵀ, R the given rows (−1: empty) of ``csr``:
    R itself (its used columns) when narrow, else its rank-``max_dim`` SVD U·S (Eckart–Young:
    the best rank-d approximation of R, so of its inner products with any taste vector in R's
    row space)."""
    present = rows >= 0
    positions = spans(csr.indptr, rows[present])
    lengths = csr.indptr[rows[present] + 1] - csr.indptr[rows[present]]
    used, columns = np.unique(csr.indices[positions], return_inverse=True)
    dense = np.zeros((len(rows), max(len(used), 1)), np.float64)
    owner = np.repeat(np.flatnonzero(present), lengths)
    dense[owner, columns] = csr.data[positions]
    if dense.shape[1] <= max_dim:
        return dense.astype(np.float32)
    u, s, _ = np.linalg.svd(dense, full_matrices=False)
    return (u[:, :max_dim] * s[:max_dim]).astype(np.float32)


def corpus_tables(dataset: Dataset, index: TitleIndex) -> dict[str, Any]:
    """Keyword arguments of :class:`model.rerank.tables.Tables` that describe the titles."""
    n = dataset.n_items
    rows = np.asarray([index.row(int(a)) if index.row(int(a)) is not None else -1
                       for a in dataset.corpus_ids], np.int64)  # fmt: skip
    present = rows >= 0
    position = np.full(index.n, -1, np.int64)
    position[rows[present]] = np.flatnonzero(present)
    year = np.zeros(n)
    year[present] = index.year[rows[present]]
    media = np.zeros(n, np.int64)
    media[present] = index.media_code[rows[present]] + 1  # 0: unknown to the catalog
    franchise = np.arange(n, dtype=np.int64) + index.n  # alone unless the catalog groups it
    franchise[present] = index.franchise[rows[present]]
    others, follows, lengths = [], [], np.zeros(n, np.int64)
    for p in np.flatnonzero(present):
        links = spans(index.rel_indptr, rows[p : p + 1])
        target = position[index.rel_other[links]]
        keep = target >= 0
        others.append(target[keep])
        follows.append((index.rel_strong[links] & index.rel_later[links])[keep])
        lengths[p] = int(keep.sum())
    return {
        "popularity": _standardize(np.log1p(np.asarray(dataset.item_counts, np.float64))),
        "mean": _standardize(item_mean_scores(dataset)),
        "year": year,
        "media": media,
        "franchise": franchise,
        "content": {b: content_embedding(index.content[b], rows) for b in BLOCKS},
        "rel_indptr": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "rel_other": np.concatenate(others).astype(np.int64) if others else np.zeros(0, np.int64),
        "rel_follows": np.concatenate(follows).astype(bool) if follows else np.zeros(0, bool),
    }
