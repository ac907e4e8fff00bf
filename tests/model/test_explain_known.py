"""Explanations on a hand-built linear model whose every number is computed here by hand.

N = 4, encoder (2,) (linear bottleneck), no decoder hidden layers: the whole network is linear.
Item 0's presence sets z₀ = 1, item 1's sets z₁ = 1; logits = [0, 0, 2·z₀ + z₁, z₁];
the rating head ignores z and predicts the constants r̂ = [0, 0, 0.5, −0.2] (its bias).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from model import ProfileEntry, RecommendationQuery, Recommender
from model.features import RatingNormalizer
from model.reference import NetworkConfig
from tests.model.conftest import make_artifact

R_HAT = [0.0, 0.0, 0.5, -0.2]


def softmax(logits: list[float]) -> list[float]:
    exps = [math.exp(v) for v in logits]
    return [e / sum(exps) for e in exps]


def logits_for(z0: float, z1: float) -> list[float]:
    return [0.0, 0.0, 2 * z0 + z1, z1]


@pytest.fixture
def linear_model(tmp_path: Path) -> Path:
    config = NetworkConfig(4, encoder=(2,), decoder=())
    kernel = np.zeros((8, 2), dtype=np.float32)
    kernel[0, 0] = 1.0  # presence of item 0 → z₀
    kernel[1, 1] = 1.0  # presence of item 1 → z₁
    presence = np.array([[0, 0, 2, 0], [0, 0, 1, 1]], dtype=np.float32)
    weights = {
        "encoder.0.kernel": kernel,
        "encoder.0.bias": np.zeros(2, dtype=np.float32),
        "presence.0.kernel": presence,
        "presence.0.bias": np.zeros(4, dtype=np.float32),
        "rating.0.kernel": np.zeros((2, 4), dtype=np.float32),
        "rating.0.bias": np.array(R_HAT, dtype=np.float32),
    }
    return make_artifact(tmp_path / "linear", config, weights=weights, score_weight=0.5)


def test_unscored_profile_contributions(linear_model: Path) -> None:
    rec = Recommender.load(linear_model)
    entries = [ProfileEntry(1000, 0, "completed"), ProfileEntry(1001, 0, "watching")]
    full = softmax(logits_for(1, 1))
    without_0 = softmax(logits_for(0, 1))
    without_1 = softmax(logits_for(1, 0))

    recs = rec.recommend(entries, RecommendationQuery(2))
    assert [r.anime_id for r in recs] == [1002, 1003]
    # No scores: w = 1, the score is the presence probability.
    assert recs[0].score == pytest.approx(full[2], rel=1e-6)
    assert recs[0].presence == pytest.approx(full[2], rel=1e-6)
    assert recs[1].score == pytest.approx(full[3], rel=1e-6)
    # Leaving item 0 out drops item 2's probability more than leaving item 1 out.
    assert [c.anime_id for c in recs[0].contributors] == [1000, 1001]
    assert recs[0].contributors[0].effect == pytest.approx(full[2] - without_0[2], rel=1e-5)
    assert recs[0].contributors[1].effect == pytest.approx(full[2] - without_1[2], rel=1e-5)
    # Item 3 rises when item 0 is left out (it loses mass to item 2): item 0 is not a
    # "because you watched" for it, only item 1 is.
    assert full[3] - without_0[3] < 0
    assert [c.anime_id for c in recs[1].contributors] == [1001]
    assert recs[1].contributors[0].effect == pytest.approx(full[3] - without_1[3], rel=1e-5)

    explanation = rec.explain(entries, 1003)
    assert explanation.rank == 2 and not explanation.on_list and explanation.in_corpus
    # |−0.256| (item 0, pushing down) before |0.013| (item 1, pushing up).
    assert [c.anime_id for c in explanation.contributors] == [1000, 1001]
    assert explanation.contributors[0].effect == pytest.approx(full[3] - without_0[3], rel=1e-5)
    assert explanation.contributors[1].effect == pytest.approx(full[3] - without_1[3], rel=1e-5)

    insights = rec.insights(entries, top=2)
    total_0 = (full[2] - without_0[2]) + (full[3] - without_0[3])
    total_1 = (full[2] - without_1[2]) + (full[3] - without_1[3])
    assert [c.anime_id for c in insights.most_impactful] == [1000, 1001]
    assert insights.most_impactful[0].effect == pytest.approx(total_0, rel=1e-5)
    assert insights.most_impactful[1].effect == pytest.approx(total_1, rel=1e-5)
    assert insights.most_surprising == ()


def test_scored_profile_uses_metadata_weight_and_normalizer(linear_model: Path) -> None:
    rec = Recommender.load(linear_model)
    entries = [ProfileEntry(1000, 9, "completed"), ProfileEntry(1001, 4, "completed")]
    norm = RatingNormalizer.from_scores([9, 4])
    full = softmax(logits_for(1, 1))
    without_1 = softmax(logits_for(1, 0))

    def score(p: float, r: float) -> float:  # w = 0.5 from the artifact's metadata
        return p**0.5 * max(r + 1, 1e-3) ** 0.5

    recs = rec.recommend(entries, RecommendationQuery(2))
    # Item 2: p = 0.81, r̂ = 0.5 → 1.10; item 3: p = 0.11, r̂ = −0.2 → 0.30: same order.
    assert [r.anime_id for r in recs] == [1002, 1003]
    assert recs[0].score == pytest.approx(score(full[2], 0.5), rel=1e-5)
    assert recs[1].score == pytest.approx(score(full[3], -0.2), rel=1e-5)
    assert recs[0].predicted_score == pytest.approx(float(norm.denormalize(0.5)), rel=1e-5)
    assert recs[1].contributors[0].effect == pytest.approx(
        score(full[3], -0.2) - score(without_1[3], -0.2), rel=1e-5
    )

    # The model predicts r̂ = 0 for items 0 and 1, whatever it is told.
    insights = rec.insights(entries)
    predicted = float(norm.denormalize(0.0))
    expected = sorted([(1000, 9, predicted), (1001, 4, predicted)], key=lambda t: -abs(t[1] - t[2]))
    assert [(a, s) for a, s, _ in insights.most_surprising] == [(a, s) for a, s, _ in expected]
    for (_, _, got), (_, _, want) in zip(insights.most_surprising, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-5)

    on_list = rec.explain(entries, 1000)
    assert on_list.on_list and on_list.rank is None
    assert on_list.user_score == 9
    assert on_list.predicted_score == pytest.approx(predicted, rel=1e-5)
    assert on_list.surprise == pytest.approx(9 - predicted, rel=1e-5)
    # With item 0 left out, z = (0, 1): its presence is softmax([0, 0, 1, 1])[0].
    assert on_list.presence == pytest.approx(softmax(logits_for(0, 1))[0], rel=1e-5)
    assert [c.anime_id for c in on_list.contributors] == [1001]
