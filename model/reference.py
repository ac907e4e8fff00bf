"""Reference NumPy forward pass of the recommender: the contract between training and serving.

The network is a multi-task denoising autoencoder (DESIGN.md; Mult-DAE, Liang et al. 2018,
"Variational Autoencoders for Collaborative Filtering"), with two decoder heads:

    x  = presence (N) ‖ normalized ratings (N)
    h  = swish(x·W_e0 + b_e0) → … → z = h·W_eL + b_eL          (bottleneck is linear)
    presence logits = head_p(z),  ratings r̂ = head_r(z)        (swish inside each head)
    optional item–item graft:  logits += g · (presence · G)   (G: N×N, e.g. EASE, Steck 2019)
    optional rating offset:    r̂ += Σ ratings / max(Σ presence, 1)   (the profile's mean input
                               value: the user's level on the hybrid scale, so the rating head
                               learns each item's deviation from it)

Weights are a flat ``dict[str, np.ndarray]`` with these names (kernels are (in, out)):
``encoder.{i}.kernel``/``.bias``, ``presence.{i}.kernel``/``.bias``,
``rating.{i}.kernel``/``.bias``, and when ``config.item_item`` is set, ``item_item.weight``
(N, N) and ``item_item.scale`` (shape ()).
The training code's Flax module and the serving engine are both tested equal to :func:`forward`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class NetworkConfig:
    """Layer sizes: ``encoder`` ends with the bottleneck; ``decoder`` is each head's hidden."""

    n_items: int
    encoder: tuple[int, ...] = (2048, 512)
    decoder: tuple[int, ...] = (1024, 2048)
    item_item: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    rating_offset: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["encoder"] = list(self.encoder)
        data["decoder"] = list(self.decoder)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkConfig:
        return cls(
            n_items=int(data["n_items"]),
            encoder=tuple(int(v) for v in data["encoder"]),
            decoder=tuple(int(v) for v in data["decoder"]),
            item_item=bool(data.get("item_item", False)),
            extra=dict(data.get("extra", {})),
            rating_offset=bool(data.get("rating_offset", False)),
        )

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight's name and shape."""
        shapes: dict[str, tuple[int, ...]] = {}
        sizes = [2 * self.n_items, *self.encoder]
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            shapes[f"encoder.{i}.kernel"], shapes[f"encoder.{i}.bias"] = (a, b), (b,)
        head = [self.encoder[-1], *self.decoder, self.n_items]
        for name in ("presence", "rating"):
            for i, (a, b) in enumerate(itertools.pairwise(head)):
                shapes[f"{name}.{i}.kernel"], shapes[f"{name}.{i}.bias"] = (a, b), (b,)
        if self.item_item:
            shapes["item_item.weight"] = (self.n_items, self.n_items)
            shapes["item_item.scale"] = ()
        return shapes


def swish(x: np.ndarray) -> np.ndarray:
    """x·sigmoid(x) (Ramachandran et al. 2017), written to avoid overflow for large |x|."""
    return x * (0.5 * (1.0 + np.tanh(0.5 * x)))


def _mlp(weights: dict[str, np.ndarray], prefix: str, n_layers: int, h: np.ndarray) -> np.ndarray:
    for i in range(n_layers):
        h = h @ weights[f"{prefix}.{i}.kernel"] + weights[f"{prefix}.{i}.bias"]
        if i < n_layers - 1:
            h = swish(h)
    return h


def encode(config: NetworkConfig, weights: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Bottleneck codes for dense inputs ``x`` of shape (B, 2N)."""
    return _mlp(weights, "encoder", len(config.encoder), x)


def forward(
    config: NetworkConfig, weights: dict[str, np.ndarray], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Presence logits and normalized rating predictions, each (B, N), for inputs (B, 2N)."""
    z = encode(config, weights, x)
    depth = len(config.decoder) + 1
    logits = _mlp(weights, "presence", depth, z)
    ratings = _mlp(weights, "rating", depth, z)
    if config.item_item:
        presence = x[:, : config.n_items]
        logits = logits + weights["item_item.scale"] * (presence @ weights["item_item.weight"])
    if config.rating_offset:
        ratings = ratings + rating_offset(config, x)[:, None]
    return logits, ratings


def rating_offset(config: NetworkConfig, x: np.ndarray) -> np.ndarray:
    """Per input row, the mean input rating value: Σ ratings / max(Σ presence, 1), shape (B,)."""
    n = config.n_items
    mean: np.ndarray = x[:, n:].sum(axis=1) / np.maximum(x[:, :n].sum(axis=1), 1.0)
    return mean


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    out: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out


def unified_score(
    presence_prob: np.ndarray, ratings: np.ndarray, weight: float | np.ndarray
) -> np.ndarray:
    """score = p^w · max(r̂+1, 0.001)^(1−w) (DESIGN.md, "Score"); w = 1 for unscored profiles."""
    w = np.asarray(weight, dtype=np.float64)
    rating_part = np.power(np.maximum(ratings + 1.0, 1e-3), 1.0 - w)
    score: np.ndarray = np.power(presence_prob, w) * rating_part
    return score


def random_weights(
    config: NetworkConfig, seed: int = 0, dtype: type = np.float32
) -> dict[str, np.ndarray]:
    """He-style random weights of the right shapes (tests and benchmarks)."""
    rng = np.random.default_rng(seed)
    weights: dict[str, np.ndarray] = {}
    for name, shape in config.shapes().items():
        if name.endswith(".kernel"):
            weights[name] = (rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])).astype(dtype)
        elif name == "item_item.weight":
            w = rng.standard_normal(shape).astype(dtype) * 0.01
            np.fill_diagonal(w, 0.0)
            weights[name] = w
        elif name == "item_item.scale":
            weights[name] = np.asarray(1.0, dtype=dtype)
        else:
            weights[name] = (rng.standard_normal(shape) * 0.01).astype(dtype)
    return weights
