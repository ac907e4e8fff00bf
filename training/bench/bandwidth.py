"""The memory-bandwidth floor of a ``recommend``: bytes it must read, and how fast they stream."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from model.reference import NetworkConfig
from model.threads import local_blas_threads


def copy_bandwidth(nbytes: int = 256 << 20, repeat: int = 5) -> float:
    """Bytes read + written per second by a large copy (best of ``repeat``)."""
    src = np.ones(nbytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * nbytes / best


def read_bandwidth(threads: int, nbytes: int = 256 << 20, repeat: int = 5) -> float:
    """Bytes per second a single-row GEMV streams from a matrix larger than the caches (best of
    ``repeat``), its columns cut over ``threads`` threads of one BLAS thread each: the rate the
    output layers can reach, which unlike a copy writes nothing back."""
    cols = 8192
    matrix = np.ones((nbytes // 4 // cols, cols), dtype=np.float32)
    x = np.ones((1, matrix.shape[0]), dtype=np.float32)
    cuts = np.linspace(0, cols, threads + 1).astype(int)
    parts = [matrix[:, a:b] for a, b in itertools.pairwise(cuts)]

    def run(part: np.ndarray) -> None:
        with local_blas_threads(1):
            x @ part

    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeat):
            start = time.perf_counter()
            list(pool.map(run, parts))
            best = min(best, time.perf_counter() - start)
    return nbytes / best


def recommend_bytes(
    config: NetworkConfig,
    entries: int,
    itemsize: int = 4,
    *,
    presence_head: bool = True,
    rating_columns: int | None = None,
) -> int:
    """Weight bytes one unexplained ``recommend`` reads: 2 rows per entry, then every layer.

    ``presence_head=False`` for a presence head scaled to zero (not read); ``rating_columns``
    when only that many columns of the rating output layer are read (unscored profiles, w = 1).
    """
    shapes = config.shapes()
    total = 2 * entries * config.encoder[0] * itemsize
    last_rating = f"rating.{len(config.decoder)}.kernel"
    for name, shape in shapes.items():
        if name in ("encoder.0.kernel", "item_item.weight"):
            continue
        if not presence_head and name.startswith("presence."):
            continue
        if name == last_rating and rating_columns is not None:
            shape = (shape[0], rating_columns)
        total += int(np.prod(shape, dtype=np.int64)) * itemsize
    if config.item_item:
        total += entries * config.n_items * itemsize
    return total
