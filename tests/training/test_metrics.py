"""Ranking metrics on hand-computed rankings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training import metrics


def test_top_k_orders_and_breaks_ties() -> None:
    scores = np.asarray([[0.1, 0.9, 0.5, 0.9]])
    assert metrics.top_k(scores, 3).tolist() == [[1, 3, 2]]


def test_recall_and_ndcg_by_hand() -> None:
    scores = np.asarray([[0.9, 0.8, 0.1, 0.5], [0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4]])
    held = np.asarray([[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]])
    recall = metrics.recall_at_k(scores, held, 2)
    # user 0: top-2 = (0, 1), one hit of min(2, 2); user 1: top-2 = (3, 2), no hit
    assert recall[:2].tolist() == [0.5, 0.0] and math.isnan(recall[2])
    ndcg = metrics.ndcg_at_k(scores, held, 3)
    # user 0: top-3 = (0, 1, 3): hits at ranks 2 and 3
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg[0] == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    assert ndcg[1] == 0.0
    assert metrics.recall_at_k(scores[:1], held[:1], 1)[0] == 0.0
    assert metrics.ndcg_at_k(scores[:1], held[:1], 4)[0] == pytest.approx(
        dcg / (1 + 1 / math.log2(3))
    )


def test_popularity_coverage_and_groups() -> None:
    counts = np.asarray([10, 50, 30, 20])
    assert np.allclose(metrics.popularity_percentiles(counts), [25.0, 100.0, 75.0, 50.0])
    top = np.asarray([[1, 2], [1, 3]])
    assert metrics.mean_popularity_percentile(top, counts) == pytest.approx(81.25)
    assert metrics.coverage(top, 4) == 0.75
    held = np.asarray([[1, 0, 1, 1], [0, 1, 0, 1]])
    group = np.asarray([[True, False, True, False], [False, True, True, True]])
    # group held-out: (0,0), (0,2), (1,1), (1,3); in top: (0,2), (1,1), (1,3)
    assert metrics.group_hit_rate(top, held, group) == pytest.approx(3 / 4)
    assert metrics.mean_absolute_error(np.asarray([7.0, 5.0]), np.asarray([8, 5])) == 0.5
