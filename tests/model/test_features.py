"""Hybrid normalization and its inverse, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.encoding import encode_profile
from model.features import RatingNormalizer
from model.profile import ProfileEntry


def test_typical_rater_hand_computed() -> None:
    # scores 6, 8, 10: μ = 8, σ = sqrt(8/3) = 1.63299; α = 1.63299/2.6 = 0.62807
    norm = RatingNormalizer.from_scores([6, 8, 10, 0])
    assert norm.mean == pytest.approx(8.0)
    assert norm.std == pytest.approx(math.sqrt(8 / 3) + 1e-6)
    alpha = (math.sqrt(8 / 3) + 1e-6) / 2.6
    assert norm.alpha == pytest.approx(alpha)
    # s = 10: z = 2/σ = 1.22474, a = clip(1.8, −2.5, 2.0) = 1.8
    z = 2 / (math.sqrt(8 / 3) + 1e-6)
    assert float(norm.normalize(10)) == pytest.approx(alpha * z + (1 - alpha) * 1.8)
    # s = 6: z = −1.22474, a = 0.2
    assert float(norm.normalize(6)) == pytest.approx(-alpha * z + (1 - alpha) * 0.2)


def test_no_scores_uses_defaults() -> None:
    norm = RatingNormalizer.from_scores([0, 0])
    assert (norm.mean, norm.std) == (5.0, 2.0)
    assert norm.alpha == pytest.approx(2.0 / 2.6)
    # Unscored watched entry: s = μ = 5 → z = 0, a = −0.2 → (1 − α)·(−0.2)
    assert norm.unscored_value("completed") == pytest.approx((1 - 2 / 2.6) * -0.2)
    # Unscored dropped: s = μ − 1.5σ = 2 → z = −1.5, a = −1.4
    assert norm.unscored_value("dropped") == pytest.approx((2 / 2.6) * -1.5 + (1 - 2 / 2.6) * -1.4)


def test_one_or_ten_rater() -> None:
    # 1, 10, 10, 1: μ = 5.5, σ = 4.5 → α = 0.8 (clipped)
    norm = RatingNormalizer.from_scores([1, 10, 10, 1])
    assert norm.alpha == pytest.approx(0.8)
    z10 = 4.5 / (4.5 + 1e-6)
    assert float(norm.normalize(10)) == pytest.approx(0.8 * z10 + 0.2 * 1.8)
    assert float(norm.normalize(1)) == pytest.approx(-0.8 * z10 + 0.2 * -1.8)


def test_constant_rater_leans_on_absolute_scale() -> None:
    norm = RatingNormalizer.from_scores([7, 7, 7])
    assert norm.alpha == pytest.approx(0.3)
    # z = 0 for s = 7, a = 0.6
    assert float(norm.normalize(7)) == pytest.approx(0.7 * 0.6)
    # z clips at ±3 for any other score
    assert float(norm.normalize(9)) == pytest.approx(0.3 * 3 + 0.7 * 1.4)


@given(
    st.lists(st.integers(1, 10), min_size=1, max_size=40),
    st.floats(-1.5, 1.5),
)
def test_denormalize_inverts_normalize_inside_the_clips(scores: list[int], value: float) -> None:
    norm = RatingNormalizer.from_scores(scores)
    score = float(norm.denormalize(value))
    if 1.0 < score < 10.0:
        z = (score - norm.mean) / norm.std
        a = (score - 5.5) / 2.5
        if abs(z) < 3 and -2.5 < a < 2.0:
            assert float(norm.normalize(score)) == pytest.approx(value, abs=1e-9)


@given(st.lists(st.integers(1, 10), min_size=1, max_size=40), st.integers(1, 10))
def test_denormalize_inverts_normalize_beyond_the_z_clip(scores: list[int], score: int) -> None:
    # The hybrid value stays strictly increasing in s on 1–10 when z saturates (a does not), so
    # the inverse is exact wherever the outer ±2.5 clip is not active: a constant or one-score
    # rater's predicted 9 must not come back as their mean.
    norm = RatingNormalizer.from_scores(scores)
    value = float(norm.normalize(score))
    if abs(value) < 2.5:
        assert float(norm.denormalize(value)) == pytest.approx(score, abs=1e-6)


def test_denormalize_of_a_single_score_rater_spans_the_scale() -> None:
    norm = RatingNormalizer.from_scores([7])
    assert float(norm.denormalize(norm.normalize(9))) == pytest.approx(9.0)
    assert float(norm.denormalize(norm.normalize(4))) == pytest.approx(4.0)
    assert norm.denormalize(np.asarray([-10.0, 10.0])).tolist() == [1.0, 10.0]


def test_encode_profile_sparse_and_dense() -> None:
    index = {10: 0, 20: 1, 30: 2, 40: 3}
    entries = [
        ProfileEntry(30, 9, "completed"),
        ProfileEntry(10, 0, "dropped"),
        ProfileEntry(40, 0, "plan_to_watch"),
        ProfileEntry(999, 7, "completed"),
        ProfileEntry(20, 5, "completed"),
    ]
    enc = encode_profile(entries, index)
    assert enc.unknown_ids == (999,)
    assert enc.indices.tolist() == [0, 1, 2]
    assert enc.scored.tolist() == [False, True, True]
    assert enc.planned.tolist() == [3]
    assert sorted(enc.excluded.tolist()) == [0, 1, 2, 3]
    norm = RatingNormalizer.from_scores([9, 5])
    assert enc.values[0] == pytest.approx(norm.unscored_value("dropped"), rel=1e-6)
    assert enc.values[2] == pytest.approx(float(norm.normalize(9)), rel=1e-6)
    x = enc.dense(4)
    assert x.shape == (8,)
    np.testing.assert_array_equal(x[:4], [1, 1, 1, 0])
    np.testing.assert_allclose(x[4:7], enc.values)
