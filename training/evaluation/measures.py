"""The measures of one fold-in batch, shared by training validation and the evaluation report.

Every ranking metric is computed on the scorer's scores with the fold-in items masked (they are
never candidates at serving): Recall@20/50 and NDCG@100 (Liang et al. 2018, see
``training.metrics``), the popularity skew and catalog coverage of the top-20; with a franchise
mask (titles related to the fold-in, ``training.evaluation.franchise``) the hit rates inside and
outside the user's franchises and the franchise share of the top-20; with a discovery mask
(titles unrelated to the fold-in, serving's ``franchise="new"``) discovery Recall@20: every
related title removed from the ranking, as ``--franchise new`` removes it, and only the
unrelated held-out titles counted as targets. The rating measure is the MAE on the held-out
scored entries (1–10 scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training import metrics
from training.evaluation.scorers import RatingPredictor, Scorer
from training.scenario import FoldIn


def masked_scores(scorer: Scorer, batch: FoldIn) -> np.ndarray:
    """The scorer's float64 scores with every fold-in item at −∞."""
    scores = np.asarray(scorer.scores(batch), np.float64)
    return np.where(batch.presence > 0, -np.inf, scores)


def _mean(per_user: np.ndarray) -> float:
    return float(np.nanmean(per_user))  # users with nothing held out are NaN: left out


def ndcg(scorer: Scorer, batch: FoldIn, k: int = 100) -> float:
    """Mean NDCG@k over the batch's users, fold-in masked (what validation selects by)."""
    return _mean(metrics.ndcg_at_k(masked_scores(scorer, batch), batch.held_out, k))


def franchise_share(top: np.ndarray, franchise: np.ndarray) -> float:
    """Mean over users of the share of their top-k in ``franchise`` ((B, N) bool)."""
    return float(np.take_along_axis(np.asarray(franchise, bool), top, axis=1).mean())


def discovery_recall(
    scores: np.ndarray, batch: FoldIn, unrelated: np.ndarray, k: int = 20
) -> float:
    """Recall@k of the held-out titles in ``unrelated`` ((B, N) bool), ranking only those
    titles (the rest at −∞); users with no unrelated held-out title are left out."""
    filtered = np.where(unrelated, scores, -np.inf)
    return _mean(metrics.recall_at_k(filtered, (batch.held_out > 0) & unrelated, k))


def ranking_metrics(
    scorer: Scorer,
    batch: FoldIn,
    item_counts: np.ndarray | None = None,
    franchise: np.ndarray | None = None,
    unrelated: np.ndarray | None = None,
) -> dict[str, float]:
    """Recall@20/50 and NDCG@100; with ``item_counts`` the top-20's popularity percentile and
    coverage; with ``franchise`` (:func:`franchise_mask`) franchise / other hits@20 and the
    franchise share of the top-20; with ``unrelated`` discovery Recall@20."""
    scores = masked_scores(scorer, batch)
    top20 = metrics.top_k(scores, 20)
    row = {
        "recall@20": _mean(metrics.recall_at_k(scores, batch.held_out, 20)),
        "recall@50": _mean(metrics.recall_at_k(scores, batch.held_out, 50)),
        "ndcg@100": _mean(metrics.ndcg_at_k(scores, batch.held_out, 100)),
    }
    if item_counts is not None:
        row["popularity_percentile@20"] = metrics.mean_popularity_percentile(top20, item_counts)
        row["coverage@20"] = metrics.coverage(top20, scores.shape[1])
    if franchise is not None:
        row["franchise_hits@20"] = metrics.group_hit_rate(top20, batch.held_out, franchise)
        row["other_hits@20"] = metrics.group_hit_rate(top20, batch.held_out, ~franchise)
        row["franchise_share@20"] = franchise_share(top20, franchise)
    if unrelated is not None:
        row["discovery_recall@20"] = discovery_recall(scores, batch, unrelated)
    return row


def franchise_mask(batch: FoldIn, related: np.ndarray) -> np.ndarray:
    """(B, N) bool: items related ((N, N) ``related``) to something in the user's fold-in."""
    return (batch.presence @ related.astype(np.float32)) > 0


def evaluate_scorers(
    scorers: Sequence[Scorer],
    batch: FoldIn,
    item_counts: np.ndarray,
    related: np.ndarray | None = None,
    unrelated: np.ndarray | None = None,
) -> dict[str, dict[str, float]]:
    """:func:`ranking_metrics` per scorer, by name: franchise measures when ``related`` ((N, N),
    :func:`training.evaluation.franchise.catalog_relation`) is given, discovery when
    ``unrelated`` ((B, N), :func:`training.evaluation.franchise.unrelated_mask`) is."""
    franchise = None if related is None else franchise_mask(batch, related)
    return {s.name: ranking_metrics(s, batch, item_counts, franchise, unrelated) for s in scorers}


def rating_mae(predictor: RatingPredictor, batch: FoldIn) -> float:
    """MAE (1–10 scale) of the predicted held-out scored entries, pooled over users."""
    predicted = predictor.predict_ratings(batch)
    return metrics.mean_absolute_error(np.concatenate(predicted), np.concatenate(batch.held_scores))
