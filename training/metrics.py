"""Ranking and rating metrics for strong-generalization evaluation.

Recall@k and NDCG@k follow Liang et al. 2018 ("Variational Autoencoders for Collaborative
Filtering", §4.1): Recall@k = |top-k ∩ held-out| / min(k, |held-out|) and
NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i<k} 1[item_i held-out] / log2(i + 2). Rows with no
held-out items are skipped (NaN) and averaging ignores them.
"""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores per row, best first (ties by lower index)."""
    scores = np.asarray(scores)
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.lexsort((part, -np.take_along_axis(scores, part, axis=1)), axis=1)
    return np.take_along_axis(part, order, axis=1)


def recall_at_k(scores: np.ndarray, held_out: np.ndarray, k: int) -> np.ndarray:
    """Per-row Recall@k (Liang et al. 2018); ``held_out`` is a (B, N) 0/1 matrix."""
    held = np.asarray(held_out) > 0
    hits = np.take_along_axis(held, top_k(scores, k), axis=1).sum(axis=1)
    n = held.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, hits / np.minimum(k, n), np.nan)


def ndcg_at_k(scores: np.ndarray, held_out: np.ndarray, k: int) -> np.ndarray:
    """Per-row NDCG@k with binary relevance (Liang et al. 2018)."""
    held = np.asarray(held_out) > 0
    top = top_k(scores, k)
    discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    dcg = (np.take_along_axis(held, top, axis=1) * discounts).sum(axis=1)
    n = np.minimum(held.sum(axis=1), top.shape[1])
    idcg = np.concatenate([[0.0], np.cumsum(discounts)])[n]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, dcg / idcg, np.nan)


def popularity_percentiles(item_counts: np.ndarray) -> np.ndarray:
    """Each item's popularity percentile in the corpus: 100 = most listed, ~0 = least."""
    counts = np.asarray(item_counts)
    ranks = np.argsort(np.argsort(-counts, kind="stable"), kind="stable")
    return 100.0 * (1.0 - ranks / max(len(counts), 1))


def mean_popularity_percentile(top: np.ndarray, item_counts: np.ndarray) -> float:
    """Mean popularity percentile of recommended items (popularity skew; lower = less skewed)."""
    return float(popularity_percentiles(item_counts)[np.asarray(top)].mean())


def coverage(top: np.ndarray, n_items: int) -> float:
    """Fraction of the corpus recommended to at least one user (catalog coverage)."""
    return float(np.unique(np.asarray(top)).size / n_items)


def mean_absolute_error(predicted: np.ndarray, actual: np.ndarray) -> float:
    """MAE on the 1–10 scale, pooled over all entries."""
    predicted, actual = np.asarray(predicted, float), np.asarray(actual, float)
    return float(np.abs(predicted - actual).mean()) if actual.size else float("nan")


def group_hit_rate(top: np.ndarray, held_out: np.ndarray, group: np.ndarray) -> float:
    """Pooled fraction of held-out items in ``group`` (a (B, N) bool mask) found in ``top``."""
    held = (np.asarray(held_out) > 0) & np.asarray(group, bool)
    in_top = np.zeros_like(held)
    np.put_along_axis(in_top, np.asarray(top), True, axis=1)
    total = held.sum()
    return float((held & in_top).sum() / total) if total else float("nan")
