"""EASE on matrices with known answers, popularity, the bias baseline."""

from __future__ import annotations

import numpy as np
import pytest

from training.baselines import Ease, ItemBias, Popularity, ease_weights


def test_ease_two_items_by_hand() -> None:
    x = np.asarray([[1, 1], [1, 0], [1, 1]], float)
    b = ease_weights(x, lam=1.0)
    # Column j regresses item j on the other: B_01 = x0·x1/(x0·x0 + λ) = 2/4, B_10 = 2/(2 + 1).
    assert np.allclose(b, [[0.0, 0.5], [2.0 / 3.0, 0.0]])


def test_ease_matches_per_column_ridge() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((30, 6)) < 0.4).astype(float)
    lam = 2.5
    b = ease_weights(x, lam)
    for j in range(6):
        others = [i for i in range(6) if i != j]
        xo = x[:, others]
        ridge = np.linalg.solve(xo.T @ xo + lam * np.eye(5), xo.T @ x[:, j])
        assert np.allclose(b[others, j], ridge)
        assert b[j, j] == 0.0


def test_scorers_share_the_interface() -> None:
    class Batch:
        presence = np.asarray([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
        values = np.zeros((2, 3))

    ease = Ease(np.asarray([[0, 2, 1], [1, 0, 3], [0, 1, 0]], float), lam=1.0)
    assert np.allclose(ease.scores(Batch()), [[0, 2, 1], [1, 1, 3]])
    pop = Popularity(np.asarray([5, 9, 1]))
    assert np.allclose(pop.scores(Batch()), [[5, 9, 1], [5, 9, 1]])


def test_item_bias_by_hand() -> None:
    rows = np.asarray([0, 0, 1, 1])
    items = np.asarray([0, 1, 0, 1])
    scores = np.asarray([8, 6, 10, 6])
    bias = ItemBias.fit(rows, items, scores, n_items=3, shrinkage=0.0)
    # user means 7 and 8; item 0 residuals +1, +2 → 1.5; item 1: −1, −2 → −1.5; item 2 unseen → 0
    assert np.allclose(bias.bias, [1.5, -1.5, 0.0])
    assert np.allclose(bias.predict(9.0, np.asarray([0, 1, 2])), [10.0, 7.5, 9.0])
    assert bias.predict(None, np.asarray([2]))[0] == pytest.approx(7.5)  # global mean
