"""Acknowledged interactions work in turns: at most ``WORKING`` at once per process, first come
first served, each holding its turn until its task ends (a second call in the same task does
not wait for itself)."""

from __future__ import annotations

import asyncio

from bot import ack


async def test_at_most_working_interactions_run_at_once_in_arrival_order() -> None:
    running = 0
    peak = 0
    started: list[int] = []

    async def interaction(i: int) -> None:
        nonlocal running, peak
        await ack.take_turn()
        await ack.take_turn()  # the same task again: no second slot, no deadlock
        started.append(i)
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(*(asyncio.create_task(interaction(i)) for i in range(3 * ack.WORKING)))
    assert peak == ack.WORKING
    assert started == list(range(3 * ack.WORKING))


async def test_a_failed_interaction_gives_its_turn_back() -> None:
    async def failing() -> None:
        await ack.take_turn()
        raise RuntimeError("boom")

    results = await asyncio.gather(
        *(asyncio.create_task(failing()) for _ in range(2 * ack.WORKING)), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)

    async def fine() -> int:
        await ack.take_turn()
        return 1

    assert await asyncio.wait_for(asyncio.create_task(fine()), 1.0) == 1
