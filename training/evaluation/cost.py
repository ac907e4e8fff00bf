"""What a model costs to serve, measured next to EASE in the same process.

* latency: ``model.Recommender.recommend`` (the served facade, one BLAS thread per call as the
  bot runs it) on test users' lists cut to 150 entries, ranked only (k = 10) and explained (what
  ``/recommend`` shows), and for an artifact with a second stage the first stage alone as well;
  p50 and p95 over every call after one warm-up per profile; EASE's
  scoring time for the same lists (x·B, the list masked, the top 10; Steck 2019) under the same
  thread setting (x·B as the sum of the list's rows of B, the cheap way for a 0/1 list), and the
  ratio of the two p50s;
* memory: the artifact's bytes on disk (its weights are memory-mapped when served), EASE's
  (N, N) float32 matrix, and this process's peak RSS;
* training time is the artifact's own record (``training.total_seconds``), read by
  ``training.evaluation.variants``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from model.profile import ProfileEntry
from model.threads import local_blas_threads

ENTRIES = 150
K = 10


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    ms = 1000.0 * np.asarray(seconds, np.float64)
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    """Seconds of ``repeats`` calls after one warm-up call."""
    call()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def ease_call(weights: np.ndarray, index: dict[int, int], entries: Sequence[ProfileEntry]) -> Any:
    """EASE's whole ranking of one list as a server would run it: presence · B (the sum of the
    list's rows of B), the list masked, the top ``K``."""
    positions = np.asarray([index[e.anime_id] for e in entries if e.anime_id in index], np.int64)

    def call() -> np.ndarray:
        scores = weights[positions].sum(axis=0)  # x·B for a 0/1 x: the list's rows of B
        scores[positions] = -np.inf
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])]

    return call


def serving_latency(
    model_dir: Path,
    ease_weights: np.ndarray,
    lists: Sequence[Sequence[ProfileEntry]],
    *,
    profiles: int = 30,
    repeats: int = 5,
) -> dict[str, Any] | None:
    """Recommend p50/p95 (ranked and explained) vs EASE's scoring, on up to ``profiles`` lists
    of at least :data:`ENTRIES` entries; None when there is no such list."""
    from model.artifact import load_artifact
    from model.recommender import RecommendationQuery, Recommender

    chosen = [list(entries)[:ENTRIES] for entries in lists if len(entries) >= ENTRIES][:profiles]
    if not chosen:
        return None
    artifact = load_artifact(model_dir)
    servers = {"": Recommender(artifact, workers=1)}
    if artifact.rerank is not None:  # the first stage alone too: what the second stage adds
        servers["first stage, "] = Recommender(replace(artifact, rerank=None), workers=1)
    index = {int(a): i for i, a in enumerate(artifact.corpus_ids)}
    weights = np.asarray(ease_weights, np.float32)
    queries = {
        "ranked": RecommendationQuery(K, explain=False, allow_nsfw=True),
        "explained": RecommendationQuery(K, explain=True, allow_nsfw=True),
    }
    times: dict[str, list[float]] = {}
    for entries in chosen:
        for prefix, rec in servers.items():
            for name, query in queries.items():
                calls = timed(partial(rec.recommend, entries, query), repeats)
                times.setdefault(prefix + name, []).extend(calls)
        with local_blas_threads(1):
            times.setdefault("ease", []).extend(timed(ease_call(weights, index, entries), repeats))
    out: dict[str, Any] = {name: percentiles(t) for name, t in times.items()}
    for name in times.keys() - {"ease"}:
        out[name]["x_ease_p50"] = out[name]["p50_ms"] / out["ease"]["p50_ms"]
    out["profiles"] = len(chosen)
    out["entries"] = ENTRIES
    out["load_average_1min"] = os.getloadavg()[0]  # other processes share the cores
    return out


def memory(model_dir: Path, n_items: int) -> dict[str, float]:
    """Artifact size on disk, EASE's matrix and this process's peak RSS, in MB."""
    disk = sum(p.stat().st_size for p in Path(model_dir).rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_bytes = peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB
    return {
        "artifact_mb": disk / 1e6,
        "ease_matrix_mb": n_items * n_items * 4 / 1e6,
        "process_peak_rss_mb": peak_bytes / 1e6,
    }
