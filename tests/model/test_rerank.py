"""The second stage (model.rerank): features, the file in the artifact, serving applies it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model import ArtifactError, ProfileEntry, RecommendationQuery, Recommender
from model.artifact import add_file, load_artifact
from model.rerank.features import FEATURES, candidates, profile_features, rerank_logits
from model.rerank.tables import RERANK_FILE
from tests.model.rerank_fixtures import synthetic_tables


def column(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, FEATURES.index(name)]


def test_candidates_are_the_best_logits_off_the_list() -> None:
    logits = np.asarray([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    assert candidates(logits, np.asarray([0, 2]), 3).tolist() == [1, 3, 4]
    assert candidates(logits, np.asarray([0, 1, 2, 3, 4]), 3).tolist() == [5]


def test_features_of_a_hand_built_list() -> None:
    # Title 0 (liked) has a later strong link to 5 and an untyped one to 6; 1 links to 6 too.
    tables = synthetic_tables(12, links=[(0, 5, True), (0, 6, False), (1, 6, False)])
    listed, values = np.asarray([0, 1]), np.asarray([1.5, -0.5])
    cand = np.asarray([5, 6, 7, 3])
    logits = np.asarray([4.0, 3.0, 2.0, 1.0])
    x = profile_features(tables, listed, values, cand, logits, logits - 0.5, np.zeros(4))
    assert x.shape == (4, len(FEATURES))
    assert column(x, "log_rank").tolist() == pytest.approx(np.log1p([0, 1, 2, 3]).tolist())
    assert column(x, "network").tolist() == pytest.approx([0.5] * 4)
    assert column(x, "related").tolist() == pytest.approx(np.log1p([1, 2, 0, 0]).tolist())
    assert column(x, "follows").tolist() == [1.0, 0.0, 0.0, 0.0]
    assert column(x, "follows_liked").tolist() == pytest.approx([1.5, 0.0, 0.0, 0.0])
    # Genres i % 3: list genres 0 and 1 (weights 2.5 and 0.5); title 3 shares genre 0.
    genre = column(x, "genre")
    assert genre[3] == pytest.approx(2.5 / np.hypot(2.5, 0.5))
    assert genre[2] == pytest.approx(0.5 / np.hypot(2.5, 0.5))  # title 7: genre 1
    assert genre[0] == 0.0  # title 5: genre 2
    assert column(x, "popularity").tolist() == pytest.approx(tables.popularity[cand].tolist())
    assert not column(x, "graft_max").any()  # no graft rows given
    rows = np.asarray([[1.0, 0.0, 2.0, 0.0], [3.0, 1.0, -1.0, 0.0]])  # g·G[listed, cand]
    x = profile_features(tables, listed, values, cand, logits, logits, np.zeros(4), rows)
    assert column(x, "graft_max").tolist() == [3.0, 1.0, 2.0, 0.0]
    assert column(x, "graft_liked").tolist() == pytest.approx([0.0, -0.5, 3.5, 0.0])


def test_rerank_moves_candidates_and_keeps_the_rest_below() -> None:
    # The scorer prefers unpopular titles strongly: among the candidates the order flips.
    tables = synthetic_tables(12, weights={"popularity": -100.0}, n_candidates=4)
    logits = np.linspace(3.0, 0.0, 12)
    listed = np.asarray([0])
    cand = candidates(logits, listed, 4)
    out = rerank_logits(tables, listed, np.asarray([1.0]), logits, None, None, cand)
    out[listed] = -np.inf  # never a candidate: masked as serving does
    order = np.argsort(-out)
    assert order[:4].tolist() == [4, 3, 2, 1]
    assert order[4:11].tolist() == list(range(5, 12))  # outside: kept, below every candidate


def write_rerank(path: Path, n: int, **kwargs: object) -> Path:
    add_file(path, RERANK_FILE, synthetic_tables(n, **kwargs).to_bytes())  # type: ignore[arg-type]
    return path


def test_artifact_round_trip_and_old_artifacts(alpha0_model: Path) -> None:
    assert load_artifact(alpha0_model).rerank is None  # an artifact without a second stage
    write_rerank(alpha0_model, 40, weights={"popularity": 2.0})
    rerank = load_artifact(alpha0_model).rerank
    assert rerank is not None
    assert rerank.n_candidates == 10 and rerank.feature_names == FEATURES
    assert rerank.layers[0][0][FEATURES.index("popularity"), 0] == 2.0
    assert rerank.content["genre"].argmax(axis=1).tolist() == [i % 3 for i in range(40)]


def test_a_corrupt_rerank_file_is_refused(alpha0_model: Path) -> None:
    write_rerank(alpha0_model, 40)
    path = alpha0_model / RERANK_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"rerank\.npz: sha256 differs"):
        load_artifact(alpha0_model)
    # Unchecked sums (verify=False) still refuse what cannot be read, in one sentence.
    with pytest.raises(ArtifactError) as caught:
        load_artifact(alpha0_model, verify=False)
    assert "rerank.npz: second stage refused" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_rerank_file_for_another_corpus_is_refused(alpha0_model: Path) -> None:
    write_rerank(alpha0_model, 41)
    with pytest.raises(ArtifactError, match=r"second stage refused: array '\w+' has shape"):
        load_artifact(alpha0_model)


def test_serving_applies_the_second_stage(alpha0_model: Path) -> None:
    # Unscored: the ranking is the presence logits alone (w = 1), which the stage moves.
    entries = [ProfileEntry(1000 + i, 0, "completed") for i in (1, 5, 8)]
    query = RecommendationQuery(10, explain=False)
    plain = Recommender.load(alpha0_model)
    before = [r.anime_id for r in plain.recommend(entries, query)]
    # Popularity (item_counts) falls with the position: a strong weight sorts the candidates.
    write_rerank(alpha0_model, 40, weights={"popularity": -1000.0}, n_candidates=10)
    reranked = Recommender.load(alpha0_model)
    after = [r.anime_id for r in reranked.recommend(entries, query)]
    assert sorted(after) == sorted(before)  # the same ten candidates …
    assert after == sorted(before, reverse=True)  # … least popular (highest position) first
    explained = [r.anime_id for r in reranked.recommend(entries, RecommendationQuery(10))]
    assert explained == after  # the explained path ranks the same way
    # A list the network reads nothing of (empty, or only plan-to-watch) is served too.
    for empty in ([], [ProfileEntry(1001, 0, "plan_to_watch")]):
        assert len(reranked.recommend(empty, query)) == 10
        assert len(reranked.recommend(empty, RecommendationQuery(10))) == 10
