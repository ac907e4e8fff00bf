"""Fitting the second stage (training.rerank): a planted signal, and evaluation = serving."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model import ProfileEntry, RecommendationQuery, Recommender
from model.artifact import add_file, load_artifact, save_artifact
from model.catalog.catalog import Catalog
from model.coldstart.index import TitleIndex
from model.encoding import encode_profile
from model.reference import NetworkConfig, random_weights
from model.rerank.features import FEATURES
from model.rerank.tables import RERANK_FILE
from tests.training.test_train import OPTIONS
from training.baselines import Dlae
from training.dataset import VALIDATION, build_dataset
from training.rerank.command import fit_rerank
from training.rerank.crossfit import Examples
from training.rerank.fit import fit_scorer, listwise_loss
from training.rerank.scorer import RerankScorer, rerank_scorer
from training.scenario import FoldIn

POP = FEATURES.index("popularity")
LOGIT = FEATURES.index("logit")


def planted(n_users: int, seed: int) -> Examples:
    """Candidates whose held-out title is drawn from softmax(logit + 2·popularity)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_users, 20, len(FEATURES))).astype(np.float32)
    utility = x[..., LOGIT] + 2.0 * x[..., POP]
    p = np.exp(utility - utility.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.zeros((n_users, 20), np.float32)
    for u in range(n_users):
        y[u, rng.choice(20, p=p[u])] = 1.0
    return Examples(x, y, np.ones((n_users, 20), bool))


def test_fit_finds_a_planted_signal() -> None:
    train, test = planted(400, 0), planted(400, 1)
    mean, std, layers = fit_scorer(train, steps=150, learning_rate=0.05, batch_users=400)
    kernel = layers[0][0][:, 0] / std  # per raw feature unit
    assert kernel[POP] > 1.0  # the planted 2.0, shrunk a little by the penalty
    others = np.delete(np.arange(len(FEATURES)), [POP, LOGIT])
    assert np.abs(kernel[others]).max() < 0.5 * kernel[POP]

    def loss(layers_: tuple) -> float:
        x = (test.features - mean) / std
        params = [(k.astype(np.float32), b.astype(np.float32)) for k, b in layers_]
        base = test.features[..., LOGIT]
        return float(listwise_loss(params, x, base, test.labels, test.valid, 0.0))

    zero = tuple((np.zeros_like(k), np.zeros_like(b)) for k, b in layers)
    assert loss(layers) < loss(zero) - 0.1  # held-out lists: better than the first stage
    _, _, without = fit_scorer(train, steps=5, batch_users=400, without=("popularity",))
    assert not without[0][0][POP].any()  # a feature left out is never read


def test_fit_rerank_scores_like_serving(tmp_path: Path, profiles: dict) -> None:
    dataset = build_dataset(profiles, OPTIONS)
    config = NetworkConfig(dataset.n_items, (16, 8), (16,), item_item=True, rating_offset=True)
    weights = random_weights(config, seed=3)
    weights["item_item.weight"] = Dlae(0.33, 1.0).fit(dataset).weights
    path = save_artifact(
        tmp_path / "model", config=config, weights=weights, corpus_ids=dataset.corpus_ids,
        item_counts=dataset.item_counts,
        metadata={"item_item": "dlae", "dlae_dropout": 0.33, "item_item_lambda": 1.0},
    )  # fmt: skip
    assert rerank_scorer(path, dataset) is None  # no second stage yet
    index = TitleIndex(Catalog.empty())  # titles unknown to the catalog still get features
    tables, report = fit_rerank(
        load_artifact(path), dataset, index, n_candidates=8, steps=20, n_folds=2, log=str
    )
    assert set(report["validation"]) >= {"ndcg@100", "recall@20"}
    add_file(path, RERANK_FILE, tables.to_bytes(), metadata={"rerank": report})
    artifact = load_artifact(path)
    assert artifact.rerank is not None and artifact.metadata["rerank"]["n_candidates"] == 8
    assert isinstance(rerank_scorer(path, dataset), RerankScorer)

    # One validation user's whole list: the evaluation's scores order what serving returns.
    user = int(dataset.users(VALIDATION)[0])
    entries: list[ProfileEntry] = dataset.entries(user)
    profile = encode_profile(entries, dataset.index())
    n = dataset.n_items
    presence, values = np.zeros((1, n), np.float32), np.zeros((1, n), np.float32)
    presence[0, profile.indices], values[0, profile.indices] = 1.0, profile.values
    batch = FoldIn(
        users=np.asarray([user]), presence=presence, values=values,
        has_scores=np.asarray([profile.has_scores]), normalizers=(profile.normalizer,),
        user_means=(None,), held_out=np.zeros((1, n), np.float32), held_scored=(),
    )  # fmt: skip
    scores = RerankScorer(artifact).scores(batch)[0]
    scores[profile.indices] = -np.inf
    expected = [int(dataset.corpus_ids[i]) for i in np.argsort(-scores, kind="stable")[:5]]
    served = Recommender.load(path).recommend(entries, RecommendationQuery(5, explain=False))
    assert [r.anime_id for r in served] == expected
