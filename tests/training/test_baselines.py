"""The baselines' math on matrices with known answers, and their one contract."""

from __future__ import annotations

import numpy as np
import pytest

from model.profile import ProfileEntry
from training.baselines import (
    Baseline,
    Dlae,
    Ease,
    ItemBias,
    Popularity,
    dlae_weights,
    ease_weights,
    item_biases,
    training_presence,
)
from training.dataset import DatasetOptions, build_dataset
from training.scenario import fold_in


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


def test_dlae_is_ridge_with_popularity_scaled_penalty() -> None:
    x = np.asarray([[1, 1], [1, 0], [1, 1]], float)
    gram = x.T @ x  # [[3, 2], [2, 2]]
    b = dlae_weights(x, dropout=0.5, lam=1.0)
    # p/(1−p) = 1: Λ = diag(3, 2) + I.
    assert np.allclose(b, np.linalg.solve(gram + np.diag([4.0, 3.0]), gram))


def test_item_bias_by_hand() -> None:
    rows = np.asarray([0, 0, 1, 1])
    items = np.asarray([0, 1, 0, 1])
    scores = np.asarray([8, 6, 10, 6])
    bias, global_mean = item_biases(rows, items, scores, n_items=3, shrinkage=0.0)
    # user means 7 and 8; item 0 residuals +1, +2 → 1.5; item 1: −1, −2 → −1.5; item 2 unseen → 0
    assert np.allclose(bias, [1.5, -1.5, 0.0]) and global_mean == pytest.approx(7.5)
    model = ItemBias(shrinkage=0.0)
    model.bias, model.global_mean = bias, global_mean
    assert np.allclose(model.predict(9.0, np.asarray([0, 1, 2])), [10.0, 7.5, 9.0])
    assert model.predict(None, np.asarray([2]))[0] == pytest.approx(7.5)  # global mean


def test_every_baseline_follows_the_contract(profiles: dict[int, list[ProfileEntry]]) -> None:
    """Hyperparameters in the constructor, ``fit(dataset)`` returns the model, then it scores."""
    dataset = build_dataset(profiles, DatasetOptions(min_item_users=2, min_user_entries=3))
    batch = fold_in(dataset, dataset.users(1))
    x = training_presence(dataset)
    rankers: list[Baseline] = [Ease(10.0), Dlae(0.33, 10.0), Popularity()]
    for model in rankers:
        assert model.fit(dataset) is model
        scores = model.scores(batch)
        assert scores.shape == batch.presence.shape and np.isfinite(scores).all()
    ease, dlae, pop = rankers
    assert isinstance(ease, Ease) and isinstance(dlae, Dlae)
    assert np.allclose(ease.weights, ease_weights(x, 10.0).astype(np.float32))
    assert np.allclose(dlae.weights, dlae_weights(x, 0.33, 10.0).astype(np.float32))
    assert np.allclose(ease.scores(batch), batch.presence @ ease.weights)
    assert np.allclose(
        pop.scores(batch), np.broadcast_to(dataset.item_counts, batch.presence.shape)
    )
    bias = ItemBias(5.0)
    assert bias.fit(dataset) is bias
    predicted = bias.predict_ratings(batch)
    assert [len(p) for p in predicted] == [len(s) for s in batch.held_scores]
    assert all(((p >= 1) & (p <= 10)).all() for p in predicted)
