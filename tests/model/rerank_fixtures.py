"""Hand-built second stages (``model.rerank``) for small corpora."""

from __future__ import annotations

import numpy as np

from model.rerank.features import FEATURES
from model.rerank.tables import Tables


def synthetic_tables(
    n: int,
    *,
    weights: dict[str, float] | None = None,
    links: list[tuple[int, int, bool]] = (),  # type: ignore[assignment]
    n_candidates: int = 10,
) -> Tables:
    """n titles: popularity falling with the position, genres i % 3, a linear scorer with the
    given weights per feature (standardization off), and the given (source, other, follows)."""
    f = len(FEATURES)
    kernel = np.zeros((f, 1))
    for name, w in (weights or {}).items():
        kernel[FEATURES.index(name), 0] = w
    links = sorted(links)
    lengths = np.bincount([s for s, _, _ in links], minlength=n).astype(np.int64)
    return Tables(
        popularity=np.linspace(1.0, -1.0, n),
        mean=np.zeros(n),
        year=np.full(n, 2010.0),
        media=np.zeros(n, np.int64),
        franchise=np.arange(n, dtype=np.int64),
        content={
            "genre": np.eye(3, dtype=np.float32)[np.arange(n) % 3],
            "tag": np.zeros((n, 1), np.float32),
            "studio": np.ones((n, 1), np.float32),
        },
        rel_indptr=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        rel_other=np.asarray([o for _, o, _ in links], np.int64),
        rel_follows=np.asarray([x for _, _, x in links], bool),
        feature_names=FEATURES,
        feature_mean=np.zeros(f),
        feature_std=np.ones(f),
        layers=((kernel, np.zeros(1)),),
        n_candidates=n_candidates,
    )
