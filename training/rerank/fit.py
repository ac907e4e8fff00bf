"""Fitting the second stage: a listwise learning-to-rank objective over the candidates.

Each list's re-ranked logits are ``logit + f(x)`` over its candidates, f a small MLP (no hidden
layer: linear) of the standardized features. The loss is the multinomial likelihood of the
held-out titles among the candidates (ListNet's top-one probability with one-hot targets, Cao
et al. 2007; the Mult-DAE likelihood of Liang et al. 2018 restricted to the candidates),
L = −Σ_users Σ_c y_c · log softmax(logit + f(x))_c / Σ_c y_c, averaged over lists with a
held-out candidate, plus an L2 penalty on the weights. Adam (optax), full batches of lists.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from model.rerank.features import FEATURES
from training.rerank.crossfit import Examples

LOGIT = FEATURES.index("logit")


def standardization(ex: Examples) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of each feature over the valid candidates (std 1 where constant)."""
    x = ex.features[ex.valid].astype(np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0)
    return mean, np.where(std > 1e-9, std, 1.0)


def _forward(params: list[tuple[jax.Array, jax.Array]], x: jax.Array) -> jax.Array:
    h = x
    for i, (kernel, bias) in enumerate(params):
        h = h @ kernel + bias
        if i < len(params) - 1:
            h = jax.nn.swish(h)
    return h[..., 0]


def listwise_loss(
    params: list[tuple[jax.Array, jax.Array]],
    x: jax.Array,
    base: jax.Array,
    y: jax.Array,
    valid: jax.Array,
    l2: float,
) -> jax.Array:
    """The module docstring's L for standardized features ``x`` (U, C, F)."""
    logits = jnp.where(valid, base + _forward(params, x), -1e9)
    log_p = jax.nn.log_softmax(logits, axis=-1)
    counts = y.sum(axis=-1)
    per_user = -(y * log_p).sum(axis=-1) / jnp.maximum(counts, 1.0)
    users = (counts > 0).astype(jnp.float32)
    penalty = sum(jnp.sum(k**2) for k, _ in params)
    return (per_user * users).sum() / jnp.maximum(users.sum(), 1.0) + l2 * penalty


def fit_scorer(
    ex: Examples,
    *,
    hidden: Sequence[int] = (),
    l2: float = 1e-4,
    steps: int = 300,
    learning_rate: float = 0.02,
    batch_users: int = 1024,
    seed: int = 0,
    without: Sequence[str] = (),
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[np.ndarray, np.ndarray], ...]]:
    """(feature mean, feature std, layers) of the fitted f. The last layer starts at zero, so
    the fit starts from the first stage's order. Features named in ``without`` are left out
    (their first-layer rows are zero: serving then skips computing them)."""
    mean, std = standardization(ex)
    x_all = ((ex.features - mean) / std).astype(np.float32) * ex.valid[..., None]
    left_out = [FEATURES.index(name) for name in without]
    x_all[..., left_out] = 0.0
    base_all = ex.features[..., LOGIT].astype(np.float32)
    key = jax.random.PRNGKey(seed)
    sizes = [len(FEATURES), *hidden, 1]
    params = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        key, sub = jax.random.split(key)
        last = i == len(sizes) - 2
        scale = 0.0 if last else float(np.sqrt(1.0 / a))
        params.append((jax.random.normal(sub, (a, b)) * scale, jnp.zeros(b)))
    optimizer = optax.adam(learning_rate)
    state = optimizer.init(params)

    @jax.jit
    def step(params, state, x, base, y, valid):  # type: ignore[no-untyped-def]
        loss, grads = jax.value_and_grad(listwise_loss)(params, x, base, y, valid, l2)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    rng = np.random.default_rng(seed)
    n = len(ex)
    batch = min(batch_users, n)
    for _ in range(steps):
        rows = rng.choice(n, batch, replace=False) if batch < n else np.arange(n)
        params, state, _ = step(
            params, state, x_all[rows], base_all[rows], ex.labels[rows], ex.valid[rows]
        )
    layers = tuple((np.array(k, np.float64), np.array(b, np.float64)) for k, b in params)
    layers[0][0][left_out] = 0.0
    return mean, std, layers
