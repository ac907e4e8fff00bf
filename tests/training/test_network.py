"""The Flax network: shapes, the golden test against model.reference, export, one step."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from model import reference
from model.reference import NetworkConfig
from training import losses
from training.network import Network, corrupt


def _inputs(n: int, b: int = 6, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    presence = (rng.random((b, n)) < 0.3).astype(np.float32)
    values = presence * rng.uniform(-2.5, 2.5, (b, n)).astype(np.float32)
    return np.concatenate([presence, values], axis=1)


@pytest.mark.parametrize(("graft", "offset"), [(False, False), (True, False), (True, True)])
def test_golden_forward_equals_reference(graft: bool, offset: bool) -> None:
    cfg = NetworkConfig(30, encoder=(32, 16), decoder=(24,), item_item=graft, rating_offset=offset)
    weights = reference.random_weights(cfg, seed=3)
    if graft:
        weights["item_item.scale"] = np.asarray(0.7, np.float32)
    net = Network.from_weights(cfg, weights)
    x = _inputs(30)
    logits, ratings = net(jnp.asarray(x))
    ref_logits, ref_ratings = reference.forward(cfg, weights, x)
    assert logits.shape == ratings.shape == (6, 30)
    for got, want in ((logits, ref_logits), (ratings, ref_ratings)):
        rel = np.abs(np.asarray(got) - want).max() / np.abs(want).max()
        assert rel < 1e-5
    exported = net.to_weights()
    assert exported.keys() == weights.keys()
    assert all(np.array_equal(exported[k], weights[k]) for k in weights)


def test_fresh_network_exports_reference_shapes() -> None:
    cfg = NetworkConfig(12, encoder=(10, 4), decoder=(8, 9), item_item=True)
    net = Network(cfg, rngs=nnx.Rngs(0), item_item=np.eye(12, dtype=np.float32))
    weights = net.to_weights()
    assert {k: v.shape for k, v in weights.items()} == cfg.shapes()
    logits, _ = reference.forward(cfg, weights, _inputs(12, 2))
    assert np.allclose(logits, np.asarray(net(jnp.asarray(_inputs(12, 2)))[0]), atol=1e-5)
    with pytest.raises(ValueError, match=r"encoder\.0\.kernel"):
        Network.from_weights(NetworkConfig(13, encoder=(10, 4), decoder=(8, 9)), weights)


def test_rating_offset_is_the_mean_input_value() -> None:
    plain = NetworkConfig(8, encoder=(6, 4), decoder=(6,))
    shifted = NetworkConfig(8, encoder=(6, 4), decoder=(6,), rating_offset=True)
    weights = reference.random_weights(plain, seed=2)
    x = np.zeros((2, 16), np.float32)
    x[0, [1, 4]] = 1.0
    x[0, [9, 12]] = [0.5, 1.5]  # mean input value 1.0
    _, base = reference.forward(plain, weights, x)
    _, moved = reference.forward(shifted, weights, x)
    assert np.allclose(moved - base, [[1.0] * 8, [0.0] * 8])  # an empty profile: no offset
    assert NetworkConfig.from_dict(shifted.to_dict()) == shifted
    assert (
        NetworkConfig.from_dict({**plain.to_dict(), "rating_offset": None}).rating_offset is False
    )


def test_noise_only_with_key() -> None:
    cfg = NetworkConfig(10, encoder=(8, 4), decoder=(8,))
    net = Network(cfg, rngs=nnx.Rngs(0), noise_std=0.1)
    x = jnp.asarray(_inputs(10, 3))
    a, b = net(x), net(x)
    assert np.array_equal(a[0], b[0])
    noisy = net(x, noise_key=jax.random.key(0))
    assert not np.allclose(noisy[0], a[0])


def test_corrupt_drops_both_channels_together() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    presence = jnp.ones((100, n))
    values = jnp.asarray(rng.uniform(0.5, 2.0, (100, n)), jnp.float32)
    x = np.asarray(corrupt(jax.random.key(1), presence, values, 0.4, 0.16))
    kept_p, kept_v = x[:, :n] > 0, x[:, n:] != 0
    assert np.array_equal(kept_p, kept_v)
    assert np.allclose(x[:, n:][kept_v], np.asarray(values)[kept_v])
    per_user = 1.0 - kept_p.mean(axis=1)
    assert 0.37 < per_user.mean() < 0.43
    assert per_user.min() > 0.24 - 0.04 and per_user.max() < 0.56 + 0.04
    assert per_user.std() > 0.05  # rates differ per user


def test_parameters_change_after_a_step() -> None:
    cfg = NetworkConfig(16, encoder=(12, 6), decoder=(12,), item_item=True)
    net = Network(cfg, rngs=nnx.Rngs(0), item_item=np.eye(16, dtype=np.float32) * 0.1)
    graphdef, params, rest = nnx.split(net, nnx.Param, ...)
    x = _inputs(16, 8)
    presence, values = jnp.asarray(x[:, :16]), jnp.asarray(x[:, 16:])

    def loss_fn(p: nnx.State) -> jax.Array:
        logits, ratings = nnx.merge(graphdef, p, rest)(jnp.concatenate([presence, values], 1))
        return losses.multinomial_nll(logits, presence) + losses.masked_huber(
            ratings, values, presence
        )

    tx = optax.adam(1e-2)
    grads = jax.grad(loss_fn)(params)
    updates, _ = tx.update(grads, tx.init(params), params)
    new = optax.apply_updates(params, updates)
    before = jax.tree_util.tree_leaves(params)
    after = jax.tree_util.tree_leaves(new)
    assert len(before) == len(after) == len(cfg.shapes()) - 1  # G is frozen, not a Param
    assert all(not np.allclose(a, b) for a, b in zip(before, after, strict=True))
    assert float(loss_fn(new)) < float(loss_fn(params))
