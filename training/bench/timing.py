"""Timers and the process's resident memory, for the serving benchmark."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from model.recommender import RecommendationQuery

SIZES = (20, 150, 500, 2000)
"""List lengths timed by ``recommend`` (entries per profile)."""
TOP_10 = RecommendationQuery(10, explain=False)
"""What every timed ``recommend`` asks for: an unexplained top 10."""


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


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
    """The q-th percentile (0–100) of ``values``."""
    return float(np.percentile(np.asarray(values), q))
