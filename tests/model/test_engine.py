"""Golden tests: the sparse, staged engine equals the reference forward (rel. err < 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine import Engine, SparseInput, logsumexp, swish_
from model.reference import NetworkConfig, forward, log_softmax, random_weights, swish

CONFIGS = [
    NetworkConfig(50, encoder=(32, 16), decoder=(32,)),
    NetworkConfig(50, encoder=(16,), decoder=()),
    NetworkConfig(40, encoder=(32, 24, 8), decoder=(16, 12), item_item=True),
    NetworkConfig(30, encoder=(20, 10), decoder=(), item_item=True),
    NetworkConfig(300, encoder=(64, 32), decoder=(48, 64), item_item=True),
    NetworkConfig(50, encoder=(32, 16), decoder=(32,), rating_offset=True),
    NetworkConfig(40, encoder=(24,), decoder=(), item_item=True, rating_offset=True),
]


def random_batch(
    rng: np.random.Generator, n_items: int, sizes: list[int]
) -> tuple[list[SparseInput], np.ndarray]:
    inputs, dense = [], np.zeros((len(sizes), 2 * n_items), dtype=np.float32)
    for b, size in enumerate(sizes):
        idx = np.sort(rng.choice(n_items, size, replace=False))
        values = rng.uniform(-2.5, 2.5, size).astype(np.float32)
        inputs.append(SparseInput(idx, values))
        dense[b, idx] = 1.0
        dense[b, n_items + idx] = values
    return inputs, dense


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b).max() / np.abs(b).max())


@pytest.mark.parametrize(
    "config",
    CONFIGS,
    ids=lambda c: f"{c.encoder}-{c.decoder}-{c.item_item}-{c.rating_offset}",
)
@pytest.mark.parametrize("seed", [0, 1])
def test_engine_equals_reference(config: NetworkConfig, seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = random_weights(config, seed=seed)
    if config.item_item:
        weights["item_item.weight"] *= 30  # make the graft matter
        weights["item_item.scale"] = np.asarray(rng.uniform(0.2, 2.0), dtype=np.float32)
    engine = Engine(config, weights)
    n = config.n_items
    inputs, dense = random_batch(rng, n, [0, 1, 3, n // 4, n // 2, n])
    logits, ratings = engine.forward(inputs)
    ref_logits, ref_ratings = forward(config, weights, dense)
    assert logits.dtype == np.float32 and ratings.dtype == np.float32
    assert logits.shape == ratings.shape == (len(inputs), n)
    assert rel_err(logits, ref_logits) < 1e-5
    assert rel_err(ratings, ref_ratings) < 1e-5
    # Column subsets of the output layers equal the full outputs.
    hp, hr = engine.heads(engine.trunk(engine.first_layer(inputs)))
    cols = np.asarray([n - 1, 0, 3])
    offsets = engine.offsets(inputs)[:, None]
    assert rel_err(engine.ratings(hr, cols) + offsets, ratings[:, cols]) < 1e-5
    if config.item_item:
        graft = engine.graft(inputs, cols)
        assert rel_err(engine.logits(hp, cols) + graft, logits[:, cols]) < 1e-5


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.item_item], ids=str)
def test_zero_presence_head_skips_it_and_still_equals_reference(config: NetworkConfig) -> None:
    weights = random_weights(config, seed=4)
    weights["item_item.weight"] *= 30
    last = len(config.decoder)
    weights[f"presence.{last}.kernel"] *= 0.0
    weights[f"presence.{last}.bias"][:] = np.linspace(-1, 1, config.n_items)
    engine = Engine(config, weights)
    assert engine.presence_off
    rng = np.random.default_rng(4)
    inputs, dense = random_batch(rng, config.n_items, [0, 2, 9])
    logits, ratings = engine.forward(inputs)
    ref_logits, ref_ratings = forward(config, weights, dense)
    assert rel_err(logits, ref_logits) < 1e-5
    assert rel_err(ratings, ref_ratings) < 1e-5
    hp, _ = engine.heads(engine.trunk(engine.first_layer(inputs)))
    if config.decoder:
        assert hp.shape == (3, 0)  # the presence hidden layers did not run
    assert not Engine(config, random_weights(config, seed=4)).presence_off


def test_engine_reads_memmapped_artifact_weights(tiny_model, tiny_config) -> None:
    from model.artifact import load_artifact

    art = load_artifact(tiny_model)
    engine = Engine(art.config, art.weights)
    rng = np.random.default_rng(5)
    inputs, dense = random_batch(rng, tiny_config.n_items, [4, 9])
    ref = forward(art.config, random_weights(tiny_config, seed=7), dense)
    got = engine.forward(inputs)
    assert rel_err(got[0], ref[0]) < 1e-5
    assert rel_err(got[1], ref[1]) < 1e-5


def test_sparse_first_layer_equals_dense() -> None:
    config = NetworkConfig(700, encoder=(40, 8), decoder=())
    weights = random_weights(config, seed=2)
    engine = Engine(config, weights)
    rng = np.random.default_rng(3)
    # 270 entries: sparse, over two gathered chunks of rows; 600: past the dense crossover.
    inputs, dense = random_batch(rng, 700, [0, 5, 270, 600])
    expected = dense @ weights["encoder.0.kernel"] + weights["encoder.0.bias"]
    np.testing.assert_allclose(engine.first_layer(inputs), expected, rtol=1e-5, atol=1e-5)
    rows = engine.entry_rows(inputs[1])
    np.testing.assert_allclose(
        rows.sum(0) + weights["encoder.0.bias"], expected[1], rtol=1e-5, atol=1e-5
    )


def test_swish_in_place_is_bitwise_reference() -> None:
    x = np.random.default_rng(0).normal(0, 30, (4, 100)).astype(np.float32)
    np.testing.assert_array_equal(swish_(x.copy()), swish(x))


def test_logsumexp_matches_log_softmax() -> None:
    x = np.random.default_rng(1).normal(0, 50, (3, 500)).astype(np.float32)
    np.testing.assert_allclose(x - logsumexp(x)[:, None], log_softmax(x), rtol=1e-5, atol=1e-4)


def test_engine_has_no_jax_or_training_imports() -> None:
    import subprocess
    import sys

    code = (
        "import sys, model, model.engine, model.recommender, model.explain, model.cli,"
        " model.forward, model.fastpath, model.synthetic, model.precision, model.__main__;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('jax', 'flax', 'optax', 'training', 'bot', 'discord')];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
