"""The denoising objective of one training step (DESIGN.md "Denoising" and "Losses").

Each profile is corrupted (every entry dropped, in both channels, with a per-user rate
``drop_rate ± U(drop_spread)``), the network predicts from what is kept, and the loss is the
uncertainty-weighted sum (Kendall et al. 2018) of the multinomial presence NLL (Mult-VAE,
Liang et al. 2018) and the Huber loss on scored entries (``training.losses``).

The presence targets (``TrainConfig.presence_target``):

- "full": reconstruct the whole profile (DESIGN.md);
- "dropped": only what was left out, the fold-in → held-out task that evaluation and serving
  pose. The kept entries then leave the softmax and the rating loss too: they are never
  candidates at serving, and copying their input ratings teaches nothing;
- "rerank" (with the graft): as "dropped", with the softmax over the graft's top
  ``rerank_candidates`` only, so the network learns to reorder what the item–item model
  proposes (a two-stage ranker).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from training import losses
from training.configs import TrainConfig
from training.network import Network, keep_mask

MASKED_LOGIT = -1e9


def presence_targets(
    net: Network,
    config: TrainConfig,
    n_candidates: int,
    logits: jax.Array,
    presence: jax.Array,
    scored: jax.Array,
    keep: jax.Array,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(logits, presence target, rated mask) for the configured presence target."""
    if config.presence_target == "rerank" and config.graft:
        kept = presence * keep
        proposal = jax.lax.stop_gradient(kept @ net.item_item_weight[...])
        proposal = jnp.where(kept > 0, -jnp.inf, proposal)
        _, top = jax.lax.top_k(proposal, n_candidates)
        candidate = (
            jnp.zeros_like(presence).at[jnp.arange(presence.shape[0])[:, None], top].set(1.0)
        )
        target, rated = presence * (1.0 - keep) * candidate, scored * (1.0 - keep)
        return jnp.where(candidate > 0, logits, MASKED_LOGIT), target, rated
    if config.presence_target == "dropped":
        target, rated = presence * (1.0 - keep), scored * (1.0 - keep)
        return jnp.where(presence * keep > 0, MASKED_LOGIT, logits), target, rated
    return logits, presence, scored


def denoising_loss(
    net: Network,
    log_vars: jax.Array,
    presence: jax.Array,
    values: jax.Array,
    scored: jax.Array,
    key: jax.Array,
    *,
    config: TrainConfig,
    n_candidates: int,
) -> tuple[jax.Array, jax.Array]:
    """(L, [presence NLL, rating Huber]) of one corrupted batch.

    L = e^(−s_p)·L_p + s_p + e^(−s_r)·L_r + s_r with (s_p, s_r) = ``log_vars`` (Kendall et al.
    2018); ``key`` draws the corruption and then the bottleneck noise.
    """
    k_drop, k_noise = jax.random.split(key)
    keep = keep_mask(k_drop, presence.shape, config.drop_rate, config.drop_spread)
    x = jnp.concatenate([presence * keep, values * keep], axis=1)
    logits, ratings = net(x, noise_key=k_noise)
    logits, target, rated = presence_targets(
        net, config, n_candidates, logits, presence, scored, keep
    )
    parts = jnp.stack(
        [losses.multinomial_nll(logits, target), losses.masked_huber(ratings, values, rated)]
    )
    return losses.uncertainty_weighted(parts, log_vars), parts
