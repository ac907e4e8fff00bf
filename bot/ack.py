"""Acknowledge an interaction in time, whatever the database's load.

Discord fails an interaction that is not acknowledged within 3 s. A command's first reads (the
server's settings, the member's account) can refuse it with a private message, which only works
before a public ``defer``; under load those reads queue behind hundreds of others (500 members
at once over 3 processes: 460 acknowledged too late when the reads came first). So they get
``ACK_AFTER`` seconds: done by then, a refusal is still private; not done, the command defers
first and finishes the reads after. While more than ``BUSY`` interactions of this process wait
on their first reads, a new one defers at once: in a burst even the timer fires late (the loop
is busy), so only deferring before any read keeps every interaction inside the 3 s. Once
acknowledged, at most ``WORKING`` interactions of the process do their work at a time.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from typing import TypeVar

import discord

T = TypeVar("T")
ACK_AFTER = 0.25
"""Seconds the first reads may take before the interaction is deferred anyway."""
BUSY = 4
"""Interactions waiting on their first reads beyond which a new one defers before reading."""
WORKING = 4
"""Acknowledged interactions of this process that do their work at once; the others wait their
turn (first come, first served) after their acknowledgement."""
_waiting = 0  # this process's interactions in their first ACK_AFTER seconds of reads
# One gate per event loop (a semaphore belongs to the loop it first waits on; tests run many).
_working: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
_holders: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet()  # tasks holding a slot


async def take_turn() -> None:
    """Hold one of the ``WORKING`` slots until the current interaction's task ends.

    Why: in a burst (500 members at once) every acknowledged command otherwise runs its reads,
    rendering and replies interleaved with all the others, so the event loop's ready queue
    holds hundreds of callbacks and a heartbeat or a new interaction waits behind all of them
    (loop lag); done in turns the same work finishes in the same time, in order."""
    task = asyncio.current_task()
    if task is None or task in _holders:
        return
    gate = _working.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(WORKING))
    await gate.acquire()
    _holders.add(task)

    def release(done: asyncio.Task[object]) -> None:
        _holders.discard(done)
        gate.release()

    task.add_done_callback(release)


async def deferred_after(
    interaction: discord.Interaction,
    checks: Awaitable[T],
    *,
    ephemeral: bool = False,
    after: float = ACK_AFTER,
) -> T:
    """``await checks``, deferring (``thinking``) after ``after`` seconds if they still run, and
    in any case before returning; an error of ``checks`` propagates (undeferred when it came
    in time, so the error policy answers it privately)."""
    global _waiting
    if _waiting >= BUSY and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        # Acknowledged already: its reads too wait for a turn, not just the work after them.
        await take_turn()
    task = asyncio.ensure_future(checks)
    try:
        _waiting += 1
        try:
            done, _ = await asyncio.wait({task}, timeout=after)
            if not done and not interaction.response.is_done():
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        finally:
            _waiting -= 1
        result = await task
    finally:
        if not task.done():
            task.cancel()
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    await take_turn()
    return result
