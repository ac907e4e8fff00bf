"""fit-coldstart's choice sets and evaluate-catalog's measures on a tiny model and catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.catalog import Catalog, CatalogTitle
from model.coldstart import TitleIndex
from model.coldstart.calibration import fit_calibration
from model.coldstart.features import CORPUS_FEATURES, NEW_FEATURES
from model.profile import ProfileEntry
from model.recommender import Recommender
from model.reference import NetworkConfig
from tests.model.conftest import make_artifact
from training import metrics
from training.coldstart import choice_sets, hidden_cases, hide
from training.evaluate_catalog import cold_start, list_metrics


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Recommender, TitleIndex, list[list[ProfileEntry]]]:
    path = make_artifact(tmp_path / "m", NetworkConfig(40, encoder=(32, 16), decoder=(24,)))
    genres = ("drama", "comedy")
    catalog = Catalog.from_titles(
        CatalogTitle(
            a,
            f"Anime {a}",
            type="tv",
            year=2000 + a % 20,
            genres=(genres[a % 2],),
            nsfw=False,
            scored_by=10 * a,
            mean=7.0,
        )
        for a in range(1000, 1040)
    )
    rng = np.random.default_rng(0)
    lists = [
        [
            ProfileEntry(int(a), int(rng.integers(1, 11)))
            for a in rng.choice(np.arange(1000 + u % 2, 1040, 2), 10, replace=False)
        ]
        for u in range(30)
    ]
    return Recommender.load(path, workers=1), TitleIndex(catalog), lists


def test_hidden_titles_leave_the_networks_input_but_feed_the_side_channel(setup) -> None:
    rec, index, lists = setup
    hidden = hide(rec.n_items, seed=0, fraction=0.5)
    for case in hidden_cases(rec, index, lists[:4], hidden):
        assert len(case.held) == 2 and len(case.folded) == 8
        # Every fold-in entry is in the side channel's view; the hidden ones are its unknown.
        assert len(case.feats.rows) == 8
        positions = [rec.position(int(index.ids[r])) for r in case.feats.rows]
        assert case.feats.unknown.tolist() == [bool(hidden[p]) for p in positions]


def test_choice_sets_fit_a_calibration(setup) -> None:
    rec, index, lists = setup
    sets = choice_sets(rec, index, lists, seeds=(0, 1), negatives=15)
    assert len(sets) == 2 * len(lists)
    width = 1 + len(CORPUS_FEATURES) + len(NEW_FEATURES)
    assert all(s.design.shape[1] == width and s.target.sum() == 2 for s in sets)
    fit = fit_calibration(sets)
    # Taste is one genre per list here: the genre cosine must come out as a strong signal.
    assert fit.new["genre"] > 1.0
    assert fit.info["members"] == len(sets)


def test_cold_start_measures(setup) -> None:
    rec, index, lists = setup
    sets = choice_sets(rec, index, lists, seeds=(0,), negatives=15)
    out = cold_start(rec, index, fit_calibration(sets), lists, seed=0)
    assert out["recall@20_hidden_network_only"] == 0.0
    assert out["recall@20_hidden_mixed"] > 0.0


def test_list_metrics_match_the_shared_metrics() -> None:
    top = [5, 3, 9, 1]
    held = {3, 1, 7}
    scores = np.full((1, 10), -np.inf)
    scores[0, top] = [4.0, 3.0, 2.0, 1.0]
    truth = np.zeros((1, 10))
    truth[0, list(held)] = 1
    recall, ndcg = list_metrics(top, held, 4)
    assert recall == pytest.approx(metrics.recall_at_k(scores, truth, 4)[0])
    assert ndcg == pytest.approx(metrics.ndcg_at_k(scores, truth, 4)[0])
