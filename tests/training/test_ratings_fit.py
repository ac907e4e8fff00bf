"""Fitting the rating model (training.ratings): a planted neighbourhood effect is recovered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.artifact import save_artifact
from model.profile import ProfileEntry
from model.ratings import SIDECAR, find_rating_model
from model.reference import NetworkConfig, random_weights
from training.__main__ import main
from training.baselines import ItemBias
from training.dataset import VALIDATION, Dataset, DatasetOptions, build_dataset
from training.evaluation.measures import rating_mae
from training.ratings.fit import fit_rating_model
from training.ratings.predictor import FittedRatings, rating_predictor
from training.scenario import fold_in

N_ITEMS = 30


def paired_profiles(n_users: int = 400, seed: int = 0) -> dict[int, list[ProfileEntry]]:
    """Items 2k and 2k+1 are a title and its sequel: a member scores both alike (their taste for
    the franchise), on top of their own mean and each title's bias; taste is independent across
    franchises, so only the neighbourhood can predict a sequel from its first season."""
    rng = np.random.default_rng(seed)
    bias = rng.normal(0.0, 0.6, N_ITEMS)
    profiles = {}
    for u in range(n_users):
        mean = rng.normal(7.0, 0.7)
        franchises = rng.choice(N_ITEMS // 2, size=int(rng.integers(6, 12)), replace=False)
        entries = []
        for f in franchises:
            taste = rng.normal(0.0, 1.5)
            for item in (2 * f, 2 * f + 1):
                score = np.clip(np.rint(mean + bias[item] + taste + rng.normal(0, 0.3)), 1, 10)
                entries.append(ProfileEntry(100 + int(item), int(score), "completed"))
        profiles[1000 + u] = entries
    return profiles


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    options = DatasetOptions(min_item_users=5, min_user_entries=4, validation_fraction=0.2)
    return build_dataset(paired_profiles(), options)


def test_the_fit_recovers_the_planted_neighbourhood(dataset: Dataset) -> None:
    model = fit_rating_model(dataset)
    first = dataset.index()
    pairs = [(first[100 + 2 * f], first[101 + 2 * f]) for f in range(N_ITEMS // 2)]
    everything = np.arange(dataset.n_items)
    sim = model.ratings.rows(everything, everything, dataset.n_items)
    paired = np.array([sim[a, b] for a, b in pairs])
    unpaired = sim.copy()
    for a, b in pairs:
        unpaired[a, b] = unpaired[b, a] = np.nan
    assert paired.min() > 2 * np.nanmax(np.abs(unpaired))
    # Who lists a title lists its sequel: the co-listing neighbourhood finds the pairs too.
    lists = model.lists.rows(everything, everything, dataset.n_items)
    assert all(int(np.argmax(lists[a])) == b and int(np.argmax(lists[b])) == a for a, b in pairs)
    batch = fold_in(dataset, dataset.users(VALIDATION))
    fitted = rating_mae(FittedRatings(model, dataset), batch)
    baseline = rating_mae(ItemBias(3.0).fit(dataset), batch)
    assert fitted < 0.75 * baseline, (fitted, baseline)


def _artifact(directory: Path, dataset: Dataset) -> Path:
    config = NetworkConfig(dataset.n_items, encoder=(16, 8), decoder=(12,))
    return save_artifact(
        directory,
        config=config,
        weights=random_weights(config, seed=0),
        corpus_ids=dataset.corpus_ids,
        item_counts=dataset.item_counts,
    )


def test_fit_ratings_command_writes_the_file_evaluate_reads(
    tmp_path: Path, dataset: Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _artifact(tmp_path / "model", dataset)
    data = dataset.save(tmp_path / "data.npz")
    assert rating_predictor(path, dataset) is None  # no ratings.npz: the rating head serves
    assert main(["fit-ratings", "--model", str(path), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "fitted rating model" in out and str(path / SIDECAR) in out
    model = find_rating_model(path, dataset.corpus_ids)
    assert model is not None and model.info["training_users"] > 0
    predictor = rating_predictor(path, dataset)
    assert predictor is not None
    batch = fold_in(dataset, dataset.users(VALIDATION))
    assert rating_mae(predictor, batch) < rating_mae(ItemBias(3.0).fit(dataset), batch)
