"""``python -m model bench``: CPU serving latency, throughput and memory on the ``full`` config.

Builds (or reads, with ``--model``) an artifact, loads it the way the bot does (one BLAS thread,
``workers`` = 2 on a 2-core machine: a lone call uses both cores), and measures
``recommend`` (unexplained, top 10) at 20/150/500/2,000 entries, ``explain`` at 150 entries
(explained top 10 + most impactful + most surprising: one holdout pass), batched throughput
(batch 64 of 150 entries), load time and resident memory. In the same process it times the plain
dense NumPy forward (:func:`model.reference.forward`) and a JAX-jit forward of the same weights,
and the memory-bandwidth floor: the weight bytes one 150-entry ``recommend`` must read, divided
by the measured copy bandwidth (bytes read + written per second, on buffers larger than the
caches); also the "read floor": the same bytes over the rate a GEMV streams a matrix larger than
the caches on one and on two threads (no write-back; what the output layers can reach).
Explain and throughput are also given for 1 worker. JAX is imported here only, lazily: serving
never imports it.

Synthetic profiles draw titles with a popularity skew (Zipf) and 70% of entries scored.
Note the machine load (``uptime``) and the BLAS kernel (printed) next to the numbers:
``OPENBLAS_CORETYPE`` may force an older kernel than the CPU supports.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from model.artifact import save_artifact
from model.engine import SparseInput
from model.fastpath import FAST_MODES
from model.profile import ProfileEntry
from model.recommender import DEFAULT_WORKERS, Recommender
from model.reference import NetworkConfig, forward, random_weights
from model.threads import blas_info, local_blas_threads, set_blas_threads

FULL = NetworkConfig(6000, encoder=(2048, 512), decoder=(1024, 2048))
SIZES = (20, 150, 500, 2000)
STATUSES = ("completed", "completed", "completed", "watching", "dropped", "on_hold")


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def synthetic_profiles(
    corpus_ids: np.ndarray, size: int, count: int, seed: int
) -> list[list[ProfileEntry]]:
    """Profiles of ``size`` distinct titles, popular titles more likely, 70% scored."""
    rng = np.random.default_rng(seed)
    n = len(corpus_ids)
    popularity = 1.0 / np.arange(1, n + 1) ** 0.8
    popularity /= popularity.sum()
    profiles = []
    for _ in range(count):
        picks = rng.choice(n, size=min(size, n), replace=False, p=popularity)
        scores = np.where(rng.random(len(picks)) < 0.7, rng.integers(3, 11, len(picks)), 0)
        statuses = rng.choice(STATUSES, len(picks))
        profiles.append(
            [
                ProfileEntry(int(corpus_ids[p]), int(s), str(st))
                for p, s, st in zip(picks, scores, statuses, strict=True)
            ]
        )
    return profiles


def timings_ms(fn: Callable[[Any], object], inputs: list[Any], repeat: int) -> list[float]:
    """Per-call wall times in ms over ``repeat`` calls cycling through ``inputs`` (1 warm-up)."""
    fn(inputs[0])
    times = []
    for i in range(repeat):
        arg = inputs[i % len(inputs)]
        start = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def cpu_timings_ms(fn: Callable[[Any], object], inputs: list[Any], repeat: int) -> list[float]:
    """Per-call CPU time of the calling thread in ms: what a call costs on an idle core, less
    sensitive than wall time to other processes on a shared machine (single-threaded calls)."""
    fn(inputs[0])
    times = []
    for i in range(repeat):
        arg = inputs[i % len(inputs)]
        start = time.thread_time()
        fn(arg)
        times.append((time.thread_time() - start) * 1e3)
    return times


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


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


def jax_forward_ms(
    config: NetworkConfig, weights: dict[str, np.ndarray], xs: list[np.ndarray], repeat: int
) -> tuple[float | None, str]:
    """p50 of a jit-compiled dense forward (the reference's math), or None without JAX."""
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


def stage_times(rec: Recommender, profiles: list[list[ProfileEntry]]) -> dict[str, float]:
    """p50 ms of each stage of an unexplained 150-entry ``recommend``: where the time goes."""
    engine = rec.engine
    encoded = [rec.encode(p) for p in profiles]
    inputs = [SparseInput(e.indices, e.values) for e in encoded]
    pre0 = [engine.first_layer([i]) for i in inputs]
    z = [engine.trunk(p) for p in pre0]
    heads = [engine.heads(x) for x in z]
    runs = [rec._passes([e])[0] for e in encoded]
    masks = [rec._candidates(e, None, False, ()) for e in encoded]
    n = len(profiles)
    stages = {
        "encode profile": lambda i: rec.encode(profiles[i]),
        "first layer (sparse)": lambda i: engine.first_layer([inputs[i]]),
        "encoder rest": lambda i: engine.trunk(pre0[i]),
        "decoder hidden layers": lambda i: (
            engine.presence_hidden(z[i]),
            engine.rating_hidden(z[i]),
        ),
        "presence output layer": lambda i: engine.logits(heads[i][0]),
        "rating output layer": lambda i: engine.ratings(heads[i][1]),
        "rank, filter, top-k": lambda i: rec._recommendations(
            runs[i], rec._top(runs[i], masks[i], 10)
        ),
    }
    if rec.workers >= 2:
        rows = [0] if rec.score_weight < 1.0 else []
        stages[f"whole forward on {rec.workers} workers"] = lambda i: rec._forward(
            [inputs[i]], rows, True
        )
    return {
        name: statistics.median(timings_ms(fn, list(range(n)), 100)) for name, fn in stages.items()
    }


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
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
        rec.recommend(by_size[size][0], 10, explain=False)  # warm-up
    for i in range(40 if quick else 200):
        for size in SIZES:
            start = time.perf_counter()
            rec.recommend(by_size[size][i % 16], 10, explain=False)
            times_by_size[size].append((time.perf_counter() - start) * 1e3)
    for size, times in times_by_size.items():
        p50[str(size)], p99[str(size)] = percentile(times, 50), percentile(times, 99)

    profiles150 = synthetic_profiles(rec.corpus_ids, 150, 16, seed=150)
    # Two BLAS threads are timed last, on their own: OpenBLAS's worker threads keep spinning
    # for a while after each call and would slow whatever runs next on this 2-core machine.
    setups = ((1, 1), (1, 2))
    setup_times: dict[tuple[int, int], list[float]] = {s: [] for s in setups}
    for i in range(30 if quick else 100):
        for setup in setups:
            rec.blas_threads, rec.workers = setup
            start = time.perf_counter()
            rec.recommend(profiles150[i % 16], 10, explain=False)
            setup_times[setup].append((time.perf_counter() - start) * 1e3)
    by_setup = {
        f"blas_threads={t},workers={w}": statistics.median(v) for (t, w), v in setup_times.items()
    }
    rec.blas_threads, rec.workers = 1, 1
    cpu = {
        "recommend_150": statistics.median(
            cpu_timings_ms(lambda p: rec.recommend(p, 10, explain=False), profiles150, 100)
        ),
        "explain_150": statistics.median(
            cpu_timings_ms(lambda p: rec.analyze(p, 10, top=5), profiles150, 10 if quick else 20)
        ),
    }
    rec.blas_threads, rec.workers = threads, args.workers
    stages = stage_times(rec, profiles150)

    def by_workers(fn: Callable[[Any], object], inputs: list[Any], repeat: int) -> dict:
        """Per-call ms for 1 and 2 workers, taking turns (see the recommend loop)."""
        out: dict[str, list[float]] = {"1": [], "2": []}
        for i in range(repeat + 1):
            for workers in (1, 2):
                rec.workers = workers
                start = time.perf_counter()
                fn(inputs[i % len(inputs)])
                if i:  # the first round warms up
                    out[str(workers)].append((time.perf_counter() - start) * 1e3)
        return out

    explain_by_workers = by_workers(
        lambda p: rec.analyze(p, 10, top=5), profiles150, 10 if quick else 30
    )
    batches = [synthetic_profiles(rec.corpus_ids, 150, 64, seed=64 + i) for i in range(4)]
    batch_times = by_workers(
        lambda b: rec.recommend_many(b, 10, explain=False), batches, 4 if quick else 16
    )
    throughput = {w: 64 / (statistics.median(t) / 1e3) for w, t in batch_times.items()}
    chosen = "2" if args.workers >= 2 else "1"  # the headline figures use --workers
    rec.close()
    rec.workers = args.workers
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

    rec.blas_threads, rec.workers = 2, 1
    two = timings_ms(lambda p: rec.recommend(p, 10, explain=False), profiles150, 60)
    by_setup["blas_threads=2,workers=1"] = statistics.median(two)
    rec.blas_threads, rec.workers = threads, args.workers
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
        fast.recommend(by_size[size][0], 10, explain=False)  # warm-up
    for i in range(40 if args.quick else 200):
        for size in SIZES:
            for name, r in (("float32", rec), ("fast", fast)):
                start = time.perf_counter()
                r.recommend(by_size[size][i % 16], 10, explain=False)
                times[name][size].append((time.perf_counter() - start) * 1e3)
    batches = [synthetic_profiles(rec.corpus_ids, 150, 64, seed=64 + i) for i in range(4)]
    batch_ms: dict[str, list[float]] = {"float32": [], "fast": []}
    for i in range(1 + (4 if args.quick else 16)):
        for name, r in (("float32", rec), ("fast", fast)):
            start = time.perf_counter()
            r.recommend_many(batches[i % 4], 10, explain=False)
            if i:
                batch_ms[name].append((time.perf_counter() - start) * 1e3)
    fast.close()
    return {
        "mode": args.fast,
        "shortlist": fast._fast.shortlist,
        "recommend_p50_ms": {str(s): percentile(t, 50) for s, t in times["fast"].items()},
        "recommend_p99_ms": {str(s): percentile(t, 99) for s, t in times["fast"].items()},
        "float32_recommend_p50_ms": {
            str(s): percentile(t, 50) for s, t in times["float32"].items()
        },
        "throughput_per_s": 64 / (statistics.median(batch_ms["fast"]) / 1e3),
        "float32_throughput_per_s": 64 / (statistics.median(batch_ms["float32"]) / 1e3),
        "load_s": load_s,
        "extra_bytes": fast._fast.extra_bytes,
        "rss_added_bytes": rss_bytes() - rss_before,
    }


def format_table(r: dict[str, Any]) -> str:
    """Markdown table of the figures, with ratios to dense NumPy, JAX and the floor."""
    dense, jax_ms, floor = r["dense_numpy_p50_ms"], r["jax_p50_ms"], r["bandwidth_floor_ms"]

    def ratios(ms: float) -> str:
        parts = [f"{ms / dense:.2f}× dense"]
        if jax_ms:
            parts.append(f"{ms / jax_ms:.2f}× JAX")
        return ", ".join(parts)

    lines = ["| figure | value | notes |", "| --- | --- | --- |"]
    for size in SIZES:
        p50, p99 = r["recommend_p50_ms"][str(size)], r["recommend_p99_ms"][str(size)]
        floor2 = r["read_floor_ms_by_threads"]["2"]
        note = ratios(p50) + (
            f", {p50 / floor:.2f}× floor, {p50 / floor2:.2f}× 2-core read floor"
            if size == 150
            else ""
        )
        lines.append(f"| recommend, {size} entries | p50 {p50:.2f} ms, p99 {p99:.2f} ms | {note} |")
    lines += [
        f"| explain, 150 entries | p50 {r['explain_p50_ms']:.1f} ms | top 10 + insights; by "
        "workers "
        + ", ".join(f"{w}: {v:.1f} ms" for w, v in r["explain_p50_ms_by_workers"].items())
        + " |",
        f"| throughput, batch 64 × 150 | {r['throughput_per_s']:.0f} profiles/s | by workers "
        + ", ".join(f"{w}: {v:.0f}/s" for w, v in r["throughput_per_s_by_workers"].items())
        + " |",
        f"| load | {r['load_s']:.2f} s | {r['load_unverified_s']:.2f} s without sha256 |",
        f"| RSS | {r['rss_bytes'] / 2**20:.0f} MiB | weights {r['weight_bytes'] / 2**20:.0f} MiB "
        f"({r['rss_bytes'] / r['weight_bytes']:.2f}×) |",
        f"| dense NumPy forward, 150 | p50 {dense:.2f} ms | reference.forward |",
        f"| JAX-jit forward, 150 | p50 {jax_ms:.2f} ms | {r['jax']} |"
        if jax_ms
        else f"| JAX-jit forward | n/a | {r['jax']} |",
        f"| bandwidth floor, 150 | {floor:.2f} ms | copy {r['copy_bandwidth_gb_s']:.1f} GB/s |",
        "| read floor, 150 | "
        + "; ".join(
            f"{t} thread{'s' if t != '1' else ''}: {ms:.2f} ms"
            for t, ms in r["read_floor_ms_by_threads"].items()
        )
        + " | GEMV streaming "
        + ", ".join(f"{v:.1f}" for v in r["read_bandwidth_gb_s_by_threads"].values())
        + " GB/s |",
    ]
    lines.append(
        "| recommend, 150, by setup | "
        + "; ".join(f"{t}: {ms:.2f} ms" for t, ms in r["recommend_150_p50_ms_by_setup"].items())
        + " | p50 |"
    )
    lines.append(
        "| CPU time, one thread | recommend 150: "
        f"{r['cpu_time_p50_ms_one_thread']['recommend_150']:.2f} ms; explain 150: "
        f"{r['cpu_time_p50_ms_one_thread']['explain_150']:.1f} ms | p50, load-insensitive |"
    )
    lines.append("\nWhere the time goes (recommend, 150 entries, p50 per stage):\n")
    lines += ["| stage | ms |", "| --- | --- |"]
    lines += [f"| {k} | {v:.3f} |" for k, v in r["recommend_150_stages_p50_ms"].items()]
    fast = r.get("fast")
    if fast:
        lines.append(
            f"\nOpt-in fast={fast['mode']} (shortlist {fast['shortlist']}), float32 in the same "
            "turns:\n"
        )
        lines += ["| figure | fast | float32 | ratio |", "| --- | --- | --- | --- |"]
        for size in SIZES:
            a, b = fast["recommend_p50_ms"][str(size)], fast["float32_recommend_p50_ms"][str(size)]
            lines.append(
                f"| recommend p50, {size} entries | {a:.2f} ms "
                f"(p99 {fast['recommend_p99_ms'][str(size)]:.2f}) | {b:.2f} ms | {a / b:.2f}× |"
            )
        a, b = fast["throughput_per_s"], fast["float32_throughput_per_s"]
        lines.append(f"| throughput, batch 64 × 150 | {a:.0f}/s | {b:.0f}/s | {a / b:.2f}× |")
        # The fast recommender is a second load of the artifact here, so its RSS growth counts
        # the engine twice; one process in fast mode holds the float32 RSS plus extra_bytes.
        held = (r["rss_bytes"] + fast["extra_bytes"]) / r["weight_bytes"]
        lines.append(
            f"| load, memory | {fast['load_s']:.2f} s, +{fast['extra_bytes'] / 2**20:.0f} MiB "
            f"held (RSS ≈ {held:.2f}× weights) | RSS {r['rss_bytes'] / r['weight_bytes']:.2f}× "
            f"weights | second load's RSS +{fast['rss_added_bytes'] / 2**20:.0f} MiB |"
        )
    blas = r["blas"]
    lines.append(
        f"\nBLAS: {blas.get('corename')} kernel, {r['blas_threads']} threads, "
        f"{r['workers']} workers "
        f"(OPENBLAS_CORETYPE={blas.get('OPENBLAS_CORETYPE')}); load average "
        + ", ".join(f"{v:.2f}" for v in r["load_average"])
    )
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> int:
    result = run_bench(args)
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="serving benchmark on the full config (random weights)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", help="artifact to time (default: build the full config)")
    parser.add_argument("--json", help="also write the figures as JSON here")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"recommender worker threads (default {DEFAULT_WORKERS}, as the bot loads it)",
    )
    parser.add_argument(
        "--graft",
        action="store_true",
        help="add the item–item graft (N×N) and rating offset, like the default trained model",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX comparison")
    parser.add_argument(
        "--fast",
        choices=FAST_MODES,
        help="also time the opt-in fast ranking (model/fastpath.py) against float32",
    )
    parser.set_defaults(handler=_bench)
