"""Fitting :class:`model.ratings.RatingModel` on the training users (NumPy).

Item biases, the shrunk residual correlations (Koren 2008, §2) and the DLAE co-listing weights
(Steck 2020) come from every training user's whole list (:mod:`model.ratings.neighbourhood`).
The stacker's coefficients must be fitted where the neighbourhoods have not seen the targets,
so they are cross-fitted: the training users are cut in two halves; each half's biases and
neighbourhoods (λ_s and the DLAE's λ halved, so the shrinkage matches at half the users) score
validation-style fold-ins (:func:`training.scenario.fold_in`) of the other half; the
coefficients minimise the absolute error (the MAE's own loss) over both, by iteratively
reweighted least squares. Validation and test users are never read here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.ratings import FEATURES, Neighbours, RatingModel
from training.baselines import dlae_weights
from training.dataset import TRAIN, Dataset
from training.scenario import FoldIn, fold_in

BIAS_SHRINKAGE = 3.0
SIMILARITY_SHRINKAGE = 200.0
DLAE_DROPOUT = 0.33
DLAE_LAMBDA = 50.0
NEIGHBOURS = 5
KEPT = 100
FOLD_SEEDS = (1, 2)
"""Chosen on the anime-5k validation users (runs/ratings-log.md in the issue's note)."""


def score_matrix(dataset: Dataset, users: np.ndarray) -> np.ndarray:
    """(len(users), N) float32 raw 1–10 scores of the users' input entries, 0 = unscored."""
    out = np.zeros((len(users), dataset.n_items), np.float32)
    for k, u in enumerate(users):
        s = dataset.row(int(u))
        out[k, dataset.indices[s]] = dataset.scores[s]
    return out


def item_biases(scores: np.ndarray, shrinkage: float) -> tuple[np.ndarray, float]:
    """(b, global mean): b_i = Σ_u (r_ui − μ_u) / (n_i + λ_b) over scored entries."""
    rated = scores > 0
    counts = rated.sum(axis=1)
    user_mean = scores.sum(axis=1) / np.maximum(counts, 1)
    residual = np.where(rated, scores - user_mean[:, None], 0.0)
    bias = residual.sum(axis=0) / (rated.sum(axis=0) + shrinkage)
    return bias.astype(np.float32), float(scores[rated].mean()) if rated.any() else 5.0


def residual_similarity(scores: np.ndarray, bias: np.ndarray, shrinkage: float) -> np.ndarray:
    """s_ij: Pearson correlation of baseline residuals over common raters, shrunk by
    n_ij / (n_ij + λ_s), zero diagonal (Koren 2008, eq. 2), float32 (N, N)."""
    rated = scores > 0
    user_mean = scores.sum(axis=1) / np.maximum(rated.sum(axis=1), 1)
    e = np.where(rated, scores - user_mean[:, None] - bias[None, :], 0.0).astype(np.float32)
    mask = rated.astype(np.float32)
    common = mask.T @ mask
    squares = (e * e).T @ mask  # [i, j]: Σ e_ui² over users who rated j too
    sim = (e.T @ e) / (np.sqrt(squares * squares.T) + 1e-9)
    sim *= common / (common + shrinkage)
    np.fill_diagonal(sim, 0.0)
    return sim.astype(np.float32)


def fold_in_scores(dataset: Dataset, batch: FoldIn, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(positions, 1–10 scores) of the k-th user's scored fold-in entries (the raw scores that
    serving reads back from the encoded profile)."""
    s = dataset.row(int(batch.users[k]))
    positions = dataset.indices[s].astype(np.int64)
    scores = dataset.scores[s].astype(np.float64)
    keep = (batch.presence[k, positions] > 0) & (scores > 0)
    return positions[keep], scores[keep]


def design(model: RatingModel, dataset: Dataset, batch: FoldIn) -> tuple[np.ndarray, np.ndarray]:
    """Stacker inputs and targets of a fold-in's held-out scored entries, all users stacked."""
    rows, targets = [], []
    for k, (positions, held) in enumerate(batch.held_scored):
        if len(positions):
            rated, scores = fold_in_scores(dataset, batch, k)
            rows.append(model.features(rated, scores, positions))
            targets.append(np.asarray(held, np.float64))
    if not rows:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.concatenate(rows), np.concatenate(targets)


def least_absolute(x: np.ndarray, y: np.ndarray, iterations: int = 30) -> np.ndarray:
    """argmin_w Σ|y − xw| by iteratively reweighted least squares (weights 1/max(|r|, 0.05))."""
    ridge = 1e-6 * np.eye(x.shape[1])
    w = np.linalg.solve(x.T @ x + ridge, x.T @ y)
    for _ in range(iterations):
        weight = 1.0 / np.maximum(np.abs(y - x @ w), 0.05)
        xw = x * weight[:, None]
        w = np.linalg.solve(xw.T @ x + ridge, xw.T @ y)
    return w


def neighbourhood(
    dataset: Dataset, users: np.ndarray, shrinkage_scale: float, neighbours: int
) -> RatingModel:
    """Biases and both neighbourhoods from ``users`` (shrinkages times ``shrinkage_scale``);
    coefficients that add the plain interpolations to μ_u + b_i (the stack replaces them)."""
    scores = score_matrix(dataset, users)
    bias, mean = item_biases(scores, BIAS_SHRINKAGE)
    ratings = residual_similarity(scores, bias, SIMILARITY_SHRINKAGE * shrinkage_scale)
    listed = np.zeros_like(scores)
    for k, u in enumerate(users):
        listed[k, dataset.indices[dataset.row(int(u))]] = 1.0
    lists = dlae_weights(listed, DLAE_DROPOUT, DLAE_LAMBDA * shrinkage_scale).astype(np.float32)
    np.fill_diagonal(lists, 0.0)  # a title is never its own neighbour
    plain = np.zeros(len(FEATURES))
    for name in ("user_mean", "item_bias", "ratings_tight", "lists"):
        plain[FEATURES.index(name)] = 1.0
    return RatingModel(
        bias,
        Neighbours.strongest(ratings, KEPT),
        Neighbours.strongest(lists, KEPT),
        plain,
        mean,
        neighbours,
    )


def fit_rating_model(
    dataset: Dataset,
    *,
    neighbours: int = NEIGHBOURS,
    seeds: Sequence[int] = FOLD_SEEDS,
    split_seed: int = 0,
) -> RatingModel:
    """The rating model of the dataset's training users, stacker cross-fitted (module doc)."""
    train = dataset.users(TRAIN)
    order = np.random.default_rng(split_seed).permutation(len(train))
    halves = (train[np.sort(order[: len(train) // 2])], train[np.sort(order[len(train) // 2 :])])
    xs, ys = [], []
    for fit_half, score_half in (halves, halves[::-1]):
        half_model = neighbourhood(dataset, fit_half, 0.5, neighbours)
        for seed in seeds:
            x, y = design(half_model, dataset, fold_in(dataset, score_half, seed=seed))
            xs.append(x)
            ys.append(y)
    coefficients = least_absolute(np.concatenate(xs), np.concatenate(ys))
    full = neighbourhood(dataset, train, 1.0, neighbours)
    info = {
        "similarity_shrinkage": SIMILARITY_SHRINKAGE,
        "dlae": {"dropout": DLAE_DROPOUT, "lambda": DLAE_LAMBDA},
        "kept_neighbours": KEPT,
        "bias_shrinkage": BIAS_SHRINKAGE,
        "stack_pairs": int(sum(len(y) for y in ys)),
        "fold_seeds": list(seeds),
        "split_seed": split_seed,
        "training_users": len(train),
    }
    return RatingModel(
        full.item_bias, full.ratings, full.lists, coefficients, full.global_mean, neighbours, info
    )
