"""The fitted rating model (model.ratings): its file, its checks, and serving that uses it."""

from __future__ import annotations

import numpy as np
import pytest

from model import ArtifactError, ProfileEntry, RecommendationQuery, Recommender
from model.artifact import load_artifact
from model.ratings import (
    FEATURES,
    SIDECAR,
    Neighbours,
    RatingModel,
    RatingModelError,
    find_rating_model,
    save_rating_model,
)
from model.reference import NetworkConfig

from .conftest import make_artifact

N = 40


def planted_model(n: int = N) -> RatingModel:
    """μ_u + b_i + both interpolations: items 0 and 1 are strongly related by their ratings
    (s = 0.9), items 4 and 3 by who lists them (s = 0.4)."""
    rng = np.random.default_rng(3)
    ratings = np.zeros((n, n), np.float32)
    ratings[0, 1] = ratings[1, 0] = 0.9
    ratings[2, 5] = ratings[5, 2] = 0.5
    lists = np.zeros((n, n), np.float32)
    lists[4, 3] = 0.4
    coefficients = np.zeros(len(FEATURES))
    for name in ("user_mean", "item_bias", "ratings_tight", "lists"):
        coefficients[FEATURES.index(name)] = 1.0
    bias = rng.normal(0.0, 0.5, n).astype(np.float32)
    return RatingModel(
        bias,
        Neighbours.strongest(ratings, 8),
        Neighbours.strongest(lists, 8),
        coefficients,
        7.5,
        neighbours=5,
        info={"test": True},
    )


def test_prediction_is_the_baseline_plus_the_neighbours_residuals() -> None:
    model = planted_model()
    rated, scores = np.array([0, 2, 3]), np.array([10.0, 6.0, 8.0])
    mean = scores.mean()
    residual_0 = 10.0 - mean - float(model.item_bias[0])
    got = model.predict(rated, scores, [1, 4])
    expected_1 = mean + model.item_bias[1] + 0.9 * residual_0 / (0.9 + 0.1)
    assert got[0] == pytest.approx(expected_1, abs=1e-3)
    residual_3 = 8.0 - mean - float(model.item_bias[3])
    expected_4 = mean + model.item_bias[4] + 0.4 * residual_3 / (0.4 + 0.1)
    assert got[1] == pytest.approx(expected_4, abs=1e-3)  # float16 weights
    assert model.predict(rated, scores, [7])[0] == pytest.approx(mean + model.item_bias[7])
    # Nothing scored: the global mean and the item bias alone.
    assert model.predict([], [], [4])[0] == pytest.approx(7.5 + model.item_bias[4], abs=1e-5)


def test_file_round_trip(tmp_path, tiny_config) -> None:
    path = make_artifact(tmp_path / "m", tiny_config)
    ids = load_artifact(path).corpus_ids
    model = planted_model()
    written = save_rating_model(model, path, ids)
    assert written == path / SIDECAR
    assert [p.name for p in path.iterdir() if p.name.startswith(".")] == []  # no temp left
    back = find_rating_model(path, ids)
    assert back is not None
    np.testing.assert_array_equal(back.item_bias, model.item_bias)
    np.testing.assert_array_equal(back.coefficients, model.coefficients)
    for kept, original in ((back.ratings, model.ratings), (back.lists, model.lists)):
        np.testing.assert_array_equal(kept.indices, original.indices)
        np.testing.assert_array_equal(kept.weights, original.weights)
    assert (back.global_mean, back.neighbours, back.info) == (7.5, 5, {"test": True})
    rated, scores = np.array([0, 2]), np.array([9.0, 4.0])
    np.testing.assert_allclose(
        back.predict(rated, scores, np.arange(N)),
        model.predict(rated, scores, np.arange(N)),
        atol=1e-3,
    )


def test_no_file_means_no_model(tmp_path, tiny_config) -> None:
    path = make_artifact(tmp_path / "m", tiny_config)
    assert find_rating_model(path, load_artifact(path).corpus_ids) is None


@pytest.mark.parametrize("damage", ["flip", "truncate", "other corpus"])
def test_a_broken_file_is_refused_in_one_sentence(tmp_path, tiny_config, damage: str) -> None:
    path = make_artifact(tmp_path / "m", tiny_config)
    ids = load_artifact(path).corpus_ids
    file = save_rating_model(planted_model(), path, ids)
    data = bytearray(file.read_bytes())
    if damage == "flip":
        middle = len(data) // 2  # inside the similarity matrix
        data[middle] ^= 0xFF
        file.write_bytes(bytes(data))
    elif damage == "truncate":
        file.write_bytes(bytes(data[: len(data) // 3]))
    else:
        ids = ids + 1
    with pytest.raises(RatingModelError) as error:
        find_rating_model(path, ids)
    message = str(error.value)
    assert message.startswith(str(file)) and "\n" not in message
    if damage != "other corpus":
        with pytest.raises(ArtifactError, match=SIDECAR):
            Recommender.load(path, workers=1)  # the bot refuses it like a broken artifact


def test_saving_a_model_that_does_not_fit_the_corpus_fails(tmp_path, tiny_config) -> None:
    path = make_artifact(tmp_path / "m", tiny_config)
    with pytest.raises(RatingModelError, match="corpus items"):
        save_rating_model(planted_model(N + 1), path, load_artifact(path).corpus_ids)
    assert not (path / SIDECAR).exists()


def test_serving_shows_the_fitted_models_score(tmp_path) -> None:
    config = NetworkConfig(N, encoder=(32, 16), decoder=(24,), item_item=True, rating_offset=True)
    path = make_artifact(tmp_path / "m", config, seed=5)
    entries = [ProfileEntry(1000, 10, "completed"), ProfileEntry(1002, 6, "completed"),
               ProfileEntry(1003, 8, "completed"), ProfileEntry(1007, 0, "watching")]  # fmt: skip
    head = Recommender.load(path, workers=1)
    before = head.recommend(entries, RecommendationQuery(10, explain=False))
    head.close()

    model = planted_model()
    save_rating_model(model, path, load_artifact(path).corpus_ids)
    rec = Recommender.load(path, workers=1)
    try:
        after = rec.recommend(entries, RecommendationQuery(10, explain=False))
        # Ranking is the network's, unchanged; only the shown predicted score differs.
        assert [r.anime_id for r in after] == [r.anime_id for r in before]
        rated, scores = np.array([0, 2, 3]), np.array([10.0, 6.0, 8.0])
        expected = model.predict(rated, scores, [r.anime_id - 1000 for r in after])
        np.testing.assert_allclose([r.predicted_score for r in after], expected, atol=1e-3)
        assert not np.allclose([r.predicted_score for r in before], expected, atol=1e-3)

        explained = rec.recommend(entries, RecommendationQuery(10, explain=True))
        np.testing.assert_allclose([r.predicted_score for r in explained], expected, atol=1e-3)
        (target, outside) = rec.targets(entries, [1001, 99])
        assert outside is None and target is not None
        assert target["predicted_score"] == pytest.approx(
            float(model.predict(rated, scores, [1])[0]), abs=1e-3
        )
        # A listed title is predicted with itself left out, and its surprise follows.
        why = rec.explain(entries, 1000)
        alone = float(model.predict(rated[1:], scores[1:], [0])[0])
        assert why.predicted_score == pytest.approx(alone, abs=1e-3)
        assert why.surprise == pytest.approx(10 - alone, abs=1e-3)
    finally:
        rec.close()


def test_serving_reads_back_the_members_scores() -> None:
    """The scores the model reads in serving are the list's own (the hybrid normalization's
    exact inverse, rounded), unscored entries left out."""
    from model.encoding import encode_profile
    from model.ratings.serving import profile_scores

    rng = np.random.default_rng(0)
    for _ in range(20):
        positions = rng.choice(N, 15, replace=False)
        scores = rng.integers(0, 11, 15)
        entries = [
            ProfileEntry(1000 + int(p), int(s), "completed")
            for p, s in zip(positions, scores, strict=True)
        ]
        rated, back = profile_scores(encode_profile(entries, {1000 + i: i for i in range(N)}))
        expected = sorted(
            (int(p), float(s)) for p, s in zip(positions, scores, strict=True) if s > 0
        )
        assert sorted(zip(rated.tolist(), back.tolist(), strict=True)) == expected
