"""A tiny random-weight model artifact for bot tests (contracts.md shows the recipe)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.artifact import save_artifact
from model.reference import NetworkConfig, random_weights

MEDIA = ("tv", "movie", "ova", "ona", "special", "tv_special")


def tiny_items(n: int = 40) -> list[dict]:
    return [
        {"anime_id": 100 + i, "title": f"Tiny Anime {i}", "media_type": MEDIA[i % len(MEDIA)]}
        for i in range(n)
    ]


def tiny_artifact(directory: Path, n: int = 40, seed: int = 0) -> Path:
    items = tiny_items(n)
    config = NetworkConfig(n, encoder=(32, 16), decoder=(32,))
    return save_artifact(
        directory,
        config=config,
        weights=random_weights(config, seed=seed),
        corpus_ids=np.asarray([i["anime_id"] for i in items], dtype=np.int64),
        item_counts=np.arange(n, 0, -1, dtype=np.int64) * 10,
        items=items,
    )
