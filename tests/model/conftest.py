"""Tiny artifacts for the engine, recommender and CLI tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.artifact import save_artifact
from model.reference import NetworkConfig, random_weights

MEDIA = ("tv", "movie", "ova", "special")


def make_artifact(
    directory: Path,
    config: NetworkConfig,
    *,
    seed: int = 0,
    weights: dict[str, np.ndarray] | None = None,
    score_weight: float | None = None,
) -> Path:
    """Save random (or given) weights with anime ids 1000, 1001, … and cycling media types."""
    n = config.n_items
    ids = np.arange(1000, 1000 + n)
    items = [
        {"anime_id": int(a), "title": f"Anime {a}", "media_type": MEDIA[i % len(MEDIA)]}
        for i, a in enumerate(ids)
    ]
    metadata = {} if score_weight is None else {"score_weight": score_weight}
    return save_artifact(
        directory,
        config=config,
        weights=weights if weights is not None else random_weights(config, seed=seed),
        corpus_ids=ids,
        item_counts=np.arange(n, 0, -1),
        items=items,
        metadata=metadata,
    )


@pytest.fixture
def tiny_config() -> NetworkConfig:
    return NetworkConfig(40, encoder=(32, 16), decoder=(24,))


@pytest.fixture
def tiny_model(tmp_path: Path, tiny_config: NetworkConfig) -> Path:
    return make_artifact(tmp_path / "tiny", tiny_config, seed=7)


@pytest.fixture
def graft_model(tmp_path: Path) -> Path:
    config = NetworkConfig(40, encoder=(32, 16), decoder=(24, 20), item_item=True)
    weights = random_weights(config, seed=11)
    # A visible graft, so a wrong graft term cannot hide in rounding.
    weights["item_item.weight"] *= 50
    weights["item_item.scale"] = np.asarray(0.7, dtype=np.float32)
    return make_artifact(tmp_path / "graft", config, weights=weights)


@pytest.fixture
def offset_model(tmp_path: Path) -> Path:
    """Graft and rating offset together."""
    config = NetworkConfig(40, encoder=(32, 16), decoder=(24,), item_item=True, rating_offset=True)
    weights = random_weights(config, seed=13)
    weights["item_item.weight"] *= 50
    return make_artifact(tmp_path / "offset", config, weights=weights)


@pytest.fixture
def alpha0_model(tmp_path: Path) -> Path:
    """The graft alone ranks: the presence head scaled to zero (training's α = 0)."""
    config = NetworkConfig(40, encoder=(32, 16), decoder=(24,), item_item=True, rating_offset=True)
    weights = random_weights(config, seed=17)
    weights["item_item.weight"] *= 50
    weights["presence.1.kernel"] *= 0.0
    weights["presence.1.bias"] *= 0.0
    return make_artifact(tmp_path / "alpha0", config, weights=weights)
