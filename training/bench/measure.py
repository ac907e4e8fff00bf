"""The serving figures of one artifact: latency, throughput, memory, floors and comparisons.

Thread settings are compared on recommenders that share one engine
(:meth:`model.recommender.Recommender.with_threads`); none is changed while it serves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from model.recommender import RecommendationQuery, Recommender
from model.reference import forward
from model.synthetic import synthetic_profiles
from model.threads import blas_info, set_blas_threads
from training.bench.bandwidth import copy_bandwidth, read_bandwidth, recommend_bytes
from training.bench.dense import build_full_artifact, jax_forward_ms
from training.bench.fast import measure_fast
from training.bench.stages import stage_times
from training.bench.timing import (
    SIZES,
    TOP_10,
    cpu_timings_ms,
    percentile,
    rss_bytes,
    timings_ms,
)

EXPLAINED = RecommendationQuery(10)
"""An explained top 10 (with ``analyze``'s 5 most impactful and most surprising entries)."""


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure of the benchmark for ``args.model`` (default: the full config, built)."""
    threads = args.threads or 1
    set_blas_threads(threads)
    tmp = None
    if args.model:
        path = Path(args.model)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="anirec-bench-")
        print("building the full config with random weights ...", file=sys.stderr)
        path = build_full_artifact(
            Path(tmp.name) / "full", graft=args.graft, rating_offset=args.graft
        )
    try:
        return _measure(path, args, threads)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _by_workers(
    recs: dict[int, Recommender],
    fn: Callable[[Recommender, Any], object],
    inputs: list[Any],
    repeat: int,
) -> dict[str, list[float]]:
    """Per-call ms for each worker count, taking turns (the first round warms up)."""
    out: dict[str, list[float]] = {str(w): [] for w in recs}
    for i in range(repeat + 1):
        for workers, rec in recs.items():
            start = time.perf_counter()
            fn(rec, inputs[i % len(inputs)])
            if i:
                out[str(workers)].append((time.perf_counter() - start) * 1e3)
    return out


def _measure(path: Path, args: argparse.Namespace, threads: int) -> dict[str, Any]:
    quick = args.quick
    start = time.perf_counter()
    rec = Recommender.load(path, blas_threads=threads, workers=args.workers)
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    Recommender.load(path, verify=False)
    load_unverified_s = time.perf_counter() - start
    config = rec.artifact.config
    weight_bytes = rec.artifact.weight_bytes

    p50: dict[str, float] = {}
    p99: dict[str, float] = {}
    # Sizes take turns, so a burst of load from other processes hits them all alike.
    by_size = {size: synthetic_profiles(rec.corpus_ids, size, 16, seed=size) for size in SIZES}
    times_by_size: dict[int, list[float]] = {size: [] for size in SIZES}
    for size in SIZES:
        rec.recommend(by_size[size][0], TOP_10)  # warm-up
    for i in range(40 if quick else 200):
        for size in SIZES:
            start = time.perf_counter()
            rec.recommend(by_size[size][i % 16], TOP_10)
            times_by_size[size].append((time.perf_counter() - start) * 1e3)
    for size, times in times_by_size.items():
        p50[str(size)], p99[str(size)] = percentile(times, 50), percentile(times, 99)

    profiles150 = synthetic_profiles(rec.corpus_ids, 150, 16, seed=150)
    # Two BLAS threads are timed last, on their own: OpenBLAS's worker threads keep spinning
    # for a while after each call and would slow whatever runs next on this 2-core machine.
    setups = {(t, w): rec.with_threads(blas_threads=t, workers=w) for t, w in ((1, 1), (1, 2))}
    setup_times: dict[tuple[int, int], list[float]] = {s: [] for s in setups}
    for i in range(30 if quick else 100):
        for setup, twin in setups.items():
            start = time.perf_counter()
            twin.recommend(profiles150[i % 16], TOP_10)
            setup_times[setup].append((time.perf_counter() - start) * 1e3)
    by_setup = {
        f"blas_threads={t},workers={w}": statistics.median(v) for (t, w), v in setup_times.items()
    }
    one = setups[(1, 1)]
    cpu = {
        "recommend_150": statistics.median(
            cpu_timings_ms(lambda p: one.recommend(p, TOP_10), profiles150, 100)
        ),
        "explain_150": statistics.median(
            cpu_timings_ms(
                lambda p: one.analyze(p, EXPLAINED, top=5), profiles150, 10 if quick else 20
            )
        ),
    }
    stages = stage_times(rec, profiles150)

    by_workers = {w: rec.with_threads(workers=w) for w in (1, 2)}
    explain_by_workers = _by_workers(
        by_workers, lambda r, p: r.analyze(p, EXPLAINED, top=5), profiles150, 10 if quick else 30
    )
    batches = [synthetic_profiles(rec.corpus_ids, 150, 64, seed=64 + i) for i in range(4)]
    batch_times = _by_workers(
        by_workers, lambda r, b: r.recommend_many(b, TOP_10), batches, 4 if quick else 16
    )
    throughput = {w: 64 / (statistics.median(t) / 1e3) for w, t in batch_times.items()}
    chosen = "2" if args.workers >= 2 else "1"  # the headline figures use --workers
    for twin in (*setups.values(), *by_workers.values()):
        twin.close()
    rec.close()
    rss = rss_bytes()

    dense_xs = [rec.encode(p).dense(config.n_items)[None, :] for p in profiles150]
    dense = timings_ms(lambda x: forward(config, rec.artifact.weights, x), dense_xs, 30)
    bandwidth = copy_bandwidth()
    floor_bytes = recommend_bytes(
        config,
        150,
        presence_head=not rec.engine.presence_off,
        rating_columns=10 if rec.score_weight >= 1.0 else None,
    )
    floor_ms = floor_bytes / bandwidth * 1e3
    read_1, read_2 = read_bandwidth(1), read_bandwidth(2)
    if args.no_jax:
        jax_ms, jax_note = None, "skipped"
    else:
        jax_ms, jax_note = jax_forward_ms(config, rec.artifact.weights, dense_xs, 30)

    two_blas = rec.with_threads(blas_threads=2, workers=1)
    two = timings_ms(lambda p: two_blas.recommend(p, TOP_10), profiles150, 60)
    by_setup["blas_threads=2,workers=1"] = statistics.median(two)
    fast = measure_fast(rec, path, args, by_size) if getattr(args, "fast", None) else None

    return {
        "config": config.to_dict(),
        "parameters": int(sum(int(np.prod(s)) for s in config.shapes().values())),
        "recommend_p50_ms": p50,
        "recommend_p99_ms": p99,
        "explain_p50_ms": statistics.median(explain_by_workers[chosen]),
        "explain_p50_ms_by_workers": {
            w: statistics.median(t) for w, t in explain_by_workers.items()
        },
        "throughput_per_s": throughput[chosen],
        "throughput_per_s_by_workers": throughput,
        "recommend_150_p50_ms_by_setup": by_setup,
        "recommend_150_stages_p50_ms": stages,
        "cpu_time_p50_ms_one_thread": cpu,
        "load_s": load_s,
        "load_unverified_s": load_unverified_s,
        "rss_bytes": rss,
        "weight_bytes": weight_bytes,
        "dense_numpy_p50_ms": statistics.median(dense),
        "jax_p50_ms": jax_ms,
        "jax": jax_note,
        "bandwidth_floor_ms": floor_ms,
        "bandwidth_floor_bytes": floor_bytes,
        "copy_bandwidth_gb_s": bandwidth / 1e9,
        "read_floor_ms_by_threads": {
            "1": floor_bytes / read_1 * 1e3,
            "2": floor_bytes / read_2 * 1e3,
        },
        "read_bandwidth_gb_s_by_threads": {"1": read_1 / 1e9, "2": read_2 / 1e9},
        "blas": blas_info(),
        "blas_threads": threads,
        "workers": args.workers,
        "load_average": os.getloadavg(),
        "fast": fast,
    }
