"""The opt-in int8 ranking (:mod:`model.fastpath`) timed against float32, taking turns."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from model.fastpath import Int8Forward
from model.profile import ProfileEntry
from model.recommender import Recommender
from model.synthetic import synthetic_profiles
from training.bench.timing import SIZES, TOP_10, percentile, rss_bytes


def measure_fast(
    rec: Recommender,
    path: Path,
    args: argparse.Namespace,
    by_size: dict[int, list[list[ProfileEntry]]],
) -> dict[str, Any]:
    """The opt-in ``fast`` ranking (:mod:`model.fastpath`) against float32, taking turns.

    Measured after every other figure, so the extra weights it holds change none of them.
    """
    rss_before = rss_bytes()
    start = time.perf_counter()
    fast = Recommender.load(
        path, verify=False, blas_threads=rec.blas_threads, workers=rec.workers, fast=args.fast
    )
    load_s = time.perf_counter() - start
    times: dict[str, dict[int, list[float]]] = {
        name: {size: [] for size in SIZES} for name in ("float32", "fast")
    }
    for size in SIZES:
        fast.recommend(by_size[size][0], TOP_10)  # warm-up
    for i in range(40 if args.quick else 200):
        for size in SIZES:
            for name, r in (("float32", rec), ("fast", fast)):
                start = time.perf_counter()
                r.recommend(by_size[size][i % 16], TOP_10)
                times[name][size].append((time.perf_counter() - start) * 1e3)
    batches = [synthetic_profiles(rec.corpus_ids, 150, 64, seed=64 + i) for i in range(4)]
    batch_ms: dict[str, list[float]] = {"float32": [], "fast": []}
    for i in range(1 + (4 if args.quick else 16)):
        for name, r in (("float32", rec), ("fast", fast)):
            start = time.perf_counter()
            r.recommend_many(batches[i % 4], TOP_10)
            if i:
                batch_ms[name].append((time.perf_counter() - start) * 1e3)
    fast.close()
    ranking = fast.ranking
    return {
        "mode": args.fast,
        "shortlist": ranking.shortlist if isinstance(ranking, Int8Forward) else None,
        "recommend_p50_ms": {str(s): percentile(t, 50) for s, t in times["fast"].items()},
        "recommend_p99_ms": {str(s): percentile(t, 99) for s, t in times["fast"].items()},
        "float32_recommend_p50_ms": {
            str(s): percentile(t, 50) for s, t in times["float32"].items()
        },
        "throughput_per_s": 64 / (statistics.median(batch_ms["fast"]) / 1e3),
        "float32_throughput_per_s": 64 / (statistics.median(batch_ms["float32"]) / 1e3),
        "load_s": load_s,
        "extra_bytes": ranking.extra_bytes,
        "rss_added_bytes": rss_bytes() - rss_before,
    }
