"""Validation sweeps of the baselines' hyperparameters (and the graft's item–item model).

Each sweep fits one baseline per grid point on the training users and keeps the best on the
validation fold-in: EASE's λ and DLAE's (p, λ) by NDCG@100, the item bias's shrinkage by MAE.
"""

from __future__ import annotations

from collections.abc import Sequence

from training.baselines import Dlae, Ease, ItemBias, training_presence
from training.dataset import Dataset
from training.evaluation.measures import ndcg, rating_mae
from training.scenario import FoldIn

EASE_LAMBDAS = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
DLAE_GRID = ((0.25, 50.0), (0.33, 50.0), (0.33, 200.0), (0.5, 50.0))  # (dropout p, λ)
BIAS_SHRINKAGES = (0.0, 5.0, 10.0, 25.0, 50.0)


def tune_ease(
    dataset: Dataset, batch: FoldIn, lambdas: Sequence[float] = EASE_LAMBDAS
) -> tuple[Ease, dict[float, float]]:
    """EASE with the best validation NDCG@100 over ``lambdas``, and the sweep by λ."""
    x = training_presence(dataset)
    sweep: dict[float, float] = {}
    best: tuple[float, Ease] | None = None
    for lam in lambdas:
        model = Ease(lam).fit_matrix(x)
        sweep[lam] = score = ndcg(model, batch)
        if best is None or score > best[0]:
            best = score, model
    assert best is not None, "empty λ grid"
    return best[1], sweep


def tune_dlae(
    dataset: Dataset, batch: FoldIn, grid: Sequence[tuple[float, float]] = DLAE_GRID
) -> tuple[Dlae, dict[str, float]]:
    """DLAE with the best validation NDCG@100 over (p, λ), and the sweep ("p=…,lambda=…")."""
    x = training_presence(dataset)
    sweep: dict[str, float] = {}
    best: tuple[float, Dlae] | None = None
    for dropout, lam in grid:
        model = Dlae(dropout, lam).fit_matrix(x)
        sweep[f"p={dropout:g},lambda={lam:g}"] = score = ndcg(model, batch)
        if best is None or score > best[0]:
            best = score, model
    assert best is not None, "empty DLAE grid"
    return best[1], sweep


def tune_bias(
    dataset: Dataset, batch: FoldIn, shrinkages: Sequence[float] = BIAS_SHRINKAGES
) -> tuple[ItemBias, dict[float, float]]:
    """The item bias with the lowest validation MAE over ``shrinkages``, and the sweep."""
    sweep = {s: rating_mae(ItemBias(s).fit(dataset), batch) for s in shrinkages}
    best = min(sweep, key=sweep.__getitem__)
    return ItemBias(best).fit(dataset), sweep
