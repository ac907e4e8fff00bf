"""The full config with random weights, and the dense forwards the engine is compared with."""

from __future__ import annotations

import dataclasses
import gc
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import save_artifact
from model.reference import NetworkConfig, random_weights
from training.bench.timing import timings_ms

FULL = NetworkConfig(6000, encoder=(2048, 512), decoder=(1024, 2048))
"""The seed's network (DESIGN.md, "Network"): about 55M parameters."""


def build_full_artifact(
    directory: Path, seed: int = 0, graft: bool = False, rating_offset: bool = False
) -> Path:
    """Random weights of the full config (timing only), saved as an artifact.

    ``graft`` adds the N×N item–item matrix and ``rating_offset`` the offset, as the default
    trained model has them.
    """
    config = dataclasses.replace(FULL, item_item=graft, rating_offset=rating_offset)
    ids = np.arange(1, config.n_items + 1, dtype=np.int64) * 7
    weights = random_weights(config, seed=seed)
    path = save_artifact(
        directory,
        config=config,
        weights=weights,
        corpus_ids=ids,
        item_counts=np.arange(config.n_items, 0, -1),
        metadata={"score_weight": 0.3, "note": "random weights for benchmarking"},
    )
    del weights
    gc.collect()
    return path


def jax_forward_ms(
    config: NetworkConfig, weights: dict[str, np.ndarray], xs: list[np.ndarray], repeat: int
) -> tuple[float | None, str]:
    """p50 of a jit-compiled dense forward (the reference's math), or None without JAX.

    JAX is imported here only, when called: the serving path never imports it.
    """
    try:
        import jax
        import jax.numpy as jnp
    except Exception as exc:
        return None, f"jax unavailable ({exc})"
    params = {k: jnp.asarray(np.asarray(v)) for k, v in weights.items()}

    def mlp(prefix: str, n: int, h: Any) -> Any:
        for i in range(n):
            h = h @ params[f"{prefix}.{i}.kernel"] + params[f"{prefix}.{i}.bias"]
            if i < n - 1:
                h = jax.nn.swish(h)
        return h

    @jax.jit
    def run(x: Any) -> tuple[Any, Any]:
        z = mlp("encoder", len(config.encoder), x)
        depth = len(config.decoder) + 1
        logits = mlp("presence", depth, z)
        if config.item_item:
            logits = logits + params["item_item.scale"] * (
                x[:, : config.n_items] @ params["item_item.weight"]
            )
        return logits, mlp("rating", depth, z)

    device_xs = [jnp.asarray(x) for x in xs]
    times = timings_ms(lambda x: jax.block_until_ready(run(x)), device_xs, repeat)
    return statistics.median(times), f"jax {jax.__version__} on {jax.devices()[0].platform}"
