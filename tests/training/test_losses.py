"""Losses on a hand-built batch with values computed by hand."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from training.losses import huber, masked_huber, multinomial_nll, uncertainty_weighted


def test_multinomial_nll_by_hand() -> None:
    logits = jnp.asarray([[0.0, math.log(3.0), 0.0], [1.0, 1.0, 1.0], [5.0, 0.0, 0.0]])
    presence = jnp.asarray([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    # user 0: softmax = (1/5, 3/5, 1/5) → −(log 1/5 + log 3/5)/2; user 1: −log 1/3; user 2 skipped
    u0 = -(math.log(0.2) + math.log(0.6)) / 2
    u1 = math.log(3.0)
    assert float(multinomial_nll(logits, presence)) == pytest.approx((u0 + u1) / 2, rel=1e-6)


def test_huber_and_mask_by_hand() -> None:
    assert np.allclose(huber(jnp.asarray([0.5, -2.0, 3.0])), [0.125, 1.5, 2.5])
    predicted = jnp.asarray([[1.0, 0.0, 9.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    target = jnp.asarray([[0.5, 2.0, -9.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    mask = jnp.asarray([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    # user 0: (0.125 + 1.5)/2 = 0.8125; user 1 has no scores (skipped); user 2: 1.5
    assert float(masked_huber(predicted, target, mask)) == pytest.approx((0.8125 + 1.5) / 2)


def test_uncertainty_weighting_by_hand() -> None:
    parts = jnp.asarray([2.0, 0.5])
    assert float(uncertainty_weighted(parts, jnp.zeros(2))) == pytest.approx(2.5)
    s = jnp.asarray([math.log(2.0), -1.0])
    expected = 2.0 / 2.0 + math.log(2.0) + 0.5 * math.e - 1.0
    assert float(uncertainty_weighted(parts, s)) == pytest.approx(expected, rel=1e-6)
