"""The multi-task denoising autoencoder in Flax NNX, equal to :func:`model.reference.forward`.

Mult-DAE (Liang et al. 2018, "Variational Autoencoders for Collaborative Filtering") with two
decoder heads (presence logits, normalized ratings) over the input presence ‖ ratings (2N), a
linear bottleneck with Gaussian noise σ in training, and the optional item–item graft
``logits += scale · (presence · G)`` (G e.g. EASE's B, Steck 2019). :meth:`to_weights` exports
the serving names of ``model/reference.py``; :meth:`from_weights` imports them.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from model.reference import NetworkConfig


class FrozenItemItem(nnx.Variable):
    """An item–item matrix that the optimizer does not update (not an ``nnx.Param``)."""


def _swish(x: jax.Array) -> jax.Array:
    # The same closed form as model.reference.swish, so float32 results agree to rounding.
    return x * (0.5 * (1.0 + jnp.tanh(0.5 * x)))


class Network(nnx.Module):
    """Encoder 2N → … → bottleneck (linear), heads bottleneck → … → N (swish inside)."""

    def __init__(
        self,
        config: NetworkConfig,
        *,
        rngs: nnx.Rngs,
        noise_std: float = 0.1,
        item_item: np.ndarray | None = None,
        item_item_scale: float = 1.0,
        train_item_item: bool = False,
        zero_presence_output: bool = False,
    ) -> None:
        self.config = config
        self.noise_std = noise_std
        sizes = [2 * config.n_items, *config.encoder]
        self.encoder = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(sizes)])
        head = [config.encoder[-1], *config.decoder, config.n_items]
        self.presence = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(head)])
        self.rating = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(head)])
        if zero_presence_output:
            # With the graft, start from the item–item model alone; the network learns a residual.
            last = self.presence[-1]
            last.kernel[...] = jnp.zeros_like(last.kernel[...])
        if config.item_item:
            n = config.n_items
            g = np.zeros((n, n), np.float32) if item_item is None else item_item
            kind = nnx.Param if train_item_item else FrozenItemItem
            self.item_item_weight = kind(jnp.asarray(g, jnp.float32))
            self.item_item_scale = nnx.Param(jnp.asarray(item_item_scale, jnp.float32))

    @staticmethod
    def _mlp(layers: nnx.List, h: jax.Array) -> jax.Array:
        for i, layer in enumerate(layers):
            h = layer(h)
            if i < len(layers) - 1:
                h = _swish(h)
        return h

    def encode(self, x: jax.Array) -> jax.Array:
        return self._mlp(self.encoder, x)

    def __call__(
        self, x: jax.Array, noise_key: jax.Array | None = None
    ) -> tuple[jax.Array, jax.Array]:
        """Presence logits and ratings (B, N); noise on the bottleneck when ``noise_key`` is set."""
        z = self.encode(x)
        if noise_key is not None and self.noise_std > 0:
            z = z + self.noise_std * jax.random.normal(noise_key, z.shape, z.dtype)
        logits = self._mlp(self.presence, z)
        ratings = self._mlp(self.rating, z)
        if self.config.item_item:
            presence = x[:, : self.config.n_items]
            logits = logits + self.item_item_scale[...] * (presence @ self.item_item_weight[...])
        if self.config.rating_offset:
            n = self.config.n_items
            offset = x[:, n:].sum(axis=1) / jnp.maximum(x[:, :n].sum(axis=1), 1.0)
            ratings = ratings + offset[:, None]
        return logits, ratings

    def to_weights(self) -> dict[str, np.ndarray]:
        """Weights under ``model.reference`` names, float32 NumPy arrays."""
        weights: dict[str, np.ndarray] = {}
        for name in ("encoder", "presence", "rating"):
            for i, layer in enumerate(getattr(self, name)):
                weights[f"{name}.{i}.kernel"] = np.asarray(layer.kernel[...], np.float32)
                weights[f"{name}.{i}.bias"] = np.asarray(layer.bias[...], np.float32)
        if self.config.item_item:
            weights["item_item.weight"] = np.asarray(self.item_item_weight[...], np.float32)
            weights["item_item.scale"] = np.asarray(self.item_item_scale[...], np.float32)
        shapes = self.config.shapes()
        assert {k: v.shape for k, v in weights.items()} == shapes, "export names drifted"
        return weights

    @classmethod
    def from_weights(
        cls, config: NetworkConfig, weights: dict[str, np.ndarray], **kwargs: object
    ) -> Network:
        """A network holding ``weights`` (reference names); shapes must match ``config``."""
        for name, shape in config.shapes().items():
            if tuple(np.shape(weights[name])) != shape:
                raise ValueError(f"{name}: shape {np.shape(weights[name])}, expected {shape}")
        net = cls(config, rngs=nnx.Rngs(0), **kwargs)  # type: ignore[arg-type]
        for name in ("encoder", "presence", "rating"):
            for i, layer in enumerate(getattr(net, name)):
                layer.kernel[...] = jnp.asarray(weights[f"{name}.{i}.kernel"])
                layer.bias[...] = jnp.asarray(weights[f"{name}.{i}.bias"])
        if config.item_item:
            net.item_item_weight[...] = jnp.asarray(weights["item_item.weight"])
            net.item_item_scale[...] = jnp.asarray(weights["item_item.scale"])
        return net


def keep_mask(
    key: jax.Array, shape: tuple[int, ...], rate: float = 0.4, spread: float = 0.16
) -> jax.Array:
    """1 for kept entries, 0 for dropped: per-user drop rate ``rate + U(−spread, spread)``."""
    k_rate, k_keep = jax.random.split(key)
    user_rate = rate + jax.random.uniform(k_rate, (shape[0], 1), minval=-spread, maxval=spread)
    return (jax.random.uniform(k_keep, shape) >= user_rate).astype(jnp.float32)


def corrupt(
    key: jax.Array,
    presence: jax.Array,
    values: jax.Array,
    rate: float = 0.4,
    spread: float = 0.16,
) -> jax.Array:
    """Denoising input (DESIGN.md): drop each entry, both channels, at a per-user rate.

    The rate is ``rate + U(−spread, spread)`` per user; returns the corrupted 2N input.
    """
    keep = keep_mask(key, presence.shape, rate, spread).astype(presence.dtype)
    return jnp.concatenate([presence * keep, values * keep], axis=1)
