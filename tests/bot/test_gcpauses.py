"""The collector's pauses as the metrics report them, and objects frozen out of collections."""

from __future__ import annotations

import asyncio
import gc

from bot.gcpauses import OLD_THRESHOLD, GcPauses, collect_when_idle, freeze_long_lived


def test_collections_are_recorded_with_their_generation_and_pause() -> None:
    pauses = GcPauses()
    pauses.install()
    try:
        gc.collect(0)
        gc.collect(2)
    finally:
        pauses.uninstall()
    gc.collect(2)  # after uninstall: not recorded
    summary = pauses.summary(60.0)
    assert summary["gc_collections"] == 2 and summary["gc_full_collections"] == 1
    assert summary["gc_pause_max_ms"] <= summary["gc_pause_total_ms"]
    assert pauses.summary(0.0)["gc_collections"] == 0


def test_frozen_objects_leave_the_collections_and_the_young_threshold_rises() -> None:
    before = gc.get_threshold()
    try:
        kept = [[i] for i in range(1000)]
        freeze_long_lived()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold()[2] == OLD_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_full_collections_wait_for_a_quiet_moment() -> None:
    busy = True
    pauses = GcPauses()
    pauses.install()
    gc.disable()  # only the collections asked for explicitly
    task = asyncio.create_task(collect_when_idle(lambda: not busy, every=0.01, poll=0.01))
    try:
        await asyncio.sleep(0.1)
        assert pauses.summary(60.0)["gc_full_collections"] == 0  # busy: none yet
        busy = False
        for _ in range(100):
            if pauses.summary(60.0)["gc_full_collections"]:
                break
            await asyncio.sleep(0.01)
        assert pauses.summary(60.0)["gc_full_collections"] >= 1
        assert gc.get_freeze_count() > 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        pauses.uninstall()
        gc.unfreeze()
        gc.enable()


def test_a_summary_survives_collections_that_start_inside_it() -> None:
    """A collection can start in any allocation, also in the middle of a summary (it once
    failed /metrics with "deque mutated during iteration")."""
    pauses = GcPauses()
    pauses.install()
    before = gc.get_threshold()
    gc.set_threshold(1)  # a young collection at nearly every allocation
    try:
        for _ in range(200):
            summary = pauses.summary(60.0)
        assert summary["gc_collections"] > 0
    finally:
        gc.set_threshold(*before)
        pauses.uninstall()
