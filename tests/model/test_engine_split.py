"""The two-thread forward and holdout (first-layer halves, one head per thread, output-layer
halves) equal the one-thread ones bit for bit; the one-head-at-a-time stages equal heads()."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from model import ProfileEntry, RecommendationQuery, Recommender
from model.engine import Engine, SparseInput
from model.explain import serial as one_thread
from model.forward import BatchForward
from model.reference import NetworkConfig, random_weights

from .test_engine import CONFIGS, random_batch


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_one_head_at_a_time_equals_heads(config: NetworkConfig) -> None:
    weights = random_weights(config, seed=3)
    engine = Engine(config, weights)
    inputs, _ = random_batch(np.random.default_rng(3), config.n_items, [0, 2, 7])
    z = engine.trunk(engine.first_layer(inputs))
    hp, hr = engine.heads(z)
    np.testing.assert_allclose(engine.presence_hidden(z), hp, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(engine.rating_hidden(z), hr, rtol=1e-5, atol=1e-6)


@pytest.fixture(params=["tiny_model", "graft_model", "offset_model", "alpha0_model"])
def model_path(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def outputs(batch: BatchForward) -> list[np.ndarray | None]:
    return [getattr(batch, f.name) for f in fields(batch)]


def test_split_forward_equals_serial(model_path: Path) -> None:
    serial = Recommender.load(model_path, workers=1)
    split = Recommender.load(model_path, workers=2)
    rng = np.random.default_rng(8)
    n = serial.n_items
    try:
        for batch in (1, 3, 12):  # 12: the first layer is cut in two as well
            inputs = []
            for _ in range(batch):
                idx = np.sort(rng.choice(n, int(rng.integers(0, n // 2)), replace=False))
                inputs.append(SparseInput(idx, rng.uniform(-2, 2, len(idx)).astype(np.float32)))
            for rows in ([], [0], list(range(0, batch, 2))):
                want = serial.exact.forward(inputs, rows, serial.threads.split)
                got = split.exact.forward(inputs, rows, split.threads.split)
                not_split = split.exact.forward(inputs, rows, one_thread)
                for a, b, c in zip(outputs(want), outputs(got), outputs(not_split), strict=True):
                    if a is None:
                        assert b is None and c is None
                        continue
                    # The tasks are cut the same way on one thread or two: equal, bit for bit.
                    np.testing.assert_array_equal(a, b)
                    np.testing.assert_array_equal(a, c)
    finally:
        split.close()


def test_batched_recommend_many_equals_one_by_one(offset_model: Path) -> None:
    """Batches of both sizes: vectorized encoding, the split pass, filters and unknown ids."""
    rec = Recommender.load(offset_model)
    assert rec.workers == 2
    rng = np.random.default_rng(21)
    statuses = ("completed", "watching", "dropped", "on_hold", "plan_to_watch")
    profiles = [
        [
            ProfileEntry(int(a), int(rng.integers(0, 11)), statuses[rng.integers(5)])
            for a in rng.choice(np.arange(995, 1045), size)  # repeats and unknown ids
        ]
        for size in (0, 1, 5, 17, 30, 12, 3, 25, 40)
    ]
    try:
        for explain in (False, True):
            many = rec.recommend_many(
                profiles, RecommendationQuery(5, media=("tv", "movie"), explain=explain)
            )
            for got, profile in zip(many, profiles, strict=True):
                want = rec.recommend(
                    profile, RecommendationQuery(5, media=("tv", "movie"), explain=explain)
                )
                assert [r.anime_id for r in got] == [r.anime_id for r in want]
                assert [r.score for r in got] == pytest.approx([r.score for r in want], rel=1e-5)
                assert [len(r.contributors) for r in got] == [len(r.contributors) for r in want]
    finally:
        rec.close()


def test_split_calls_finish_on_the_caller_when_the_helper_is_busy(graft_model: Path) -> None:
    """A helper held by other work (another call, or a core taken by another process) never
    makes a call wait: the caller takes back the tasks the helper has not started."""
    import threading

    rec = Recommender.load(graft_model, workers=2)
    serial = Recommender.load(graft_model, workers=1)
    rng = np.random.default_rng(5)
    profiles = [
        [ProfileEntry(int(a), int(rng.integers(1, 11))) for a in rng.choice(1040, 36) % 40 + 1000]
        for _ in range(6)
    ]
    release = threading.Event()
    blocker = rec.threads.pool().submit(release.wait, 30)
    done: dict[str, object] = {}

    def call() -> None:
        done["many"] = rec.recommend_many(profiles, RecommendationQuery(4, explain=False))
        done["one"] = rec.recommend(profiles[0], RecommendationQuery(4, explain=False))
        done["analyze"] = rec.analyze(profiles[1], RecommendationQuery(4))

    try:
        worker = threading.Thread(target=call)
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive(), "a split call waited for the busy helper"
        assert not blocker.done()  # the helper really was held the whole time
    finally:
        release.set()
        rec.close()
    want = serial.recommend_many(profiles, RecommendationQuery(4, explain=False))
    assert [[r.anime_id for r in x] for x in done["many"]] == [
        [r.anime_id for r in x] for x in want
    ]
    assert [r.anime_id for r in done["one"]] == [r.anime_id for r in want[0]]
    recs, insights = serial.analyze(profiles[1], RecommendationQuery(4))
    assert done["analyze"] == (recs, insights)  # same cut of the work: the same numbers


def test_no_split_while_another_call_is_in_progress(graft_model: Path) -> None:
    import threading

    rec = Recommender.load(graft_model, workers=2)
    entries = [ProfileEntry(1000 + i, 1 + i % 10) for i in range(36)]
    inside = threading.Event()
    release = threading.Event()
    original = rec.encode

    def slow_encode(profile):  # holds the first call inside the recommender
        if profile is entries:
            inside.set()
            release.wait(30)
        return original(profile)

    rec.encode = slow_encode  # type: ignore[method-assign]
    first = threading.Thread(target=rec.analyze, args=(entries,))
    first.start()
    try:
        assert inside.wait(10)
        assert rec.threads.active == 1
        rec.analyze(
            list(entries[:35]), RecommendationQuery(4)
        )  # a second, concurrent call: runs unsplit
        assert not rec.threads.started
    finally:
        release.set()
        first.join(10)
    assert rec.threads.active == 0
    rec.analyze(list(entries[:35]), RecommendationQuery(4))  # alone again: split over the helper
    assert rec.threads.started
    rec.close()
