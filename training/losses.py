"""Training losses: multinomial presence likelihood, masked Huber ratings, uncertainty weights."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def multinomial_nll(logits: jax.Array, presence: jax.Array) -> jax.Array:
    """Mult-VAE/Mult-DAE likelihood (Liang et al. 2018, eq. 2), normalized per user.

    −Σ_i y_i · log softmax(logits)_i / Σ_i y_i, averaged over users with at least one entry.
    """
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    counts = presence.sum(axis=-1)
    per_user = -(presence * log_probs).sum(axis=-1) / jnp.maximum(counts, 1.0)
    has = (counts > 0).astype(logits.dtype)
    return (per_user * has).sum() / jnp.maximum(has.sum(), 1.0)


def huber(residual: jax.Array, delta: float = 1.0) -> jax.Array:
    """Huber (1964): ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond."""
    a = jnp.abs(residual)
    return jnp.where(a <= delta, 0.5 * residual**2, delta * (a - 0.5 * delta))


def masked_huber(
    predicted: jax.Array, target: jax.Array, mask: jax.Array, delta: float = 1.0
) -> jax.Array:
    """Huber(δ) on scored entries only (mask = 1): mean per user, then over users with scores."""
    counts = mask.sum(axis=-1)
    per_user = (huber(predicted - target, delta) * mask).sum(axis=-1) / jnp.maximum(counts, 1.0)
    has = (counts > 0).astype(predicted.dtype)
    return (per_user * has).sum() / jnp.maximum(has.sum(), 1.0)


def uncertainty_weighted(losses: jax.Array, log_vars: jax.Array) -> jax.Array:
    """Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla 2018).

    L = Σ_t e^(−s_t)·L_t + s_t with learned s_t (log variances, initialized at 0).
    """
    return (jnp.exp(-log_vars) * losses + log_vars).sum()
