"""Where the time of one unexplained ``recommend`` goes, stage by stage (public APIs only)."""

from __future__ import annotations

import statistics
from collections.abc import Callable

from model.engine import SparseInput
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from model.recommender.ranking import recommendations, top_k
from training.bench.timing import timings_ms


def stage_times(rec: Recommender, profiles: list[list[ProfileEntry]]) -> dict[str, float]:
    """p50 ms of each stage of an unexplained 150-entry ``recommend``: where the time goes."""
    engine = rec.engine
    encoded = [rec.encode(p) for p in profiles]
    inputs = [SparseInput(e.indices, e.values) for e in encoded]
    pre0 = [engine.first_layer([i]) for i in inputs]
    z = [engine.trunk(p) for p in pre0]
    heads = [engine.heads(x) for x in z]
    runs = [rec.passes([e])[0] for e in encoded]
    everything = RecommendationQuery(10, explain=False)
    masks = [rec.candidates.mask(e, everything) for e in encoded]
    n = len(profiles)
    stages: dict[str, Callable[[int], object]] = {
        "encode profile": lambda i: rec.encode(profiles[i]),
        "first layer (sparse)": lambda i: engine.first_layer([inputs[i]]),
        "encoder rest": lambda i: engine.trunk(pre0[i]),
        "decoder hidden layers": lambda i: (
            engine.presence_hidden(z[i]),
            engine.rating_hidden(z[i]),
        ),
        "presence output layer": lambda i: engine.logits(heads[i][0]),
        "rating output layer": lambda i: engine.ratings(heads[i][1]),
        "rank, filter, top-k": lambda i: recommendations(
            runs[i], top_k(runs[i], masks[i], 10), rec.corpus_ids
        ),
    }
    if rec.workers >= 2:
        rows = [0] if rec.score_weight < 1.0 else []
        stages[f"whole forward on {rec.workers} workers"] = lambda i: rec.exact.forward(
            [inputs[i]], rows, rec.threads.split
        )
    return {
        name: statistics.median(timings_ms(fn, list(range(n)), 100)) for name, fn in stages.items()
    }
