"""Acknowledge an interaction in time, whatever the database's load.

Discord fails an interaction that is not acknowledged within 3 s. A command's first reads (the
server's settings, the member's account) can refuse it with a private message, which only works
before a public ``defer``; under load those reads queue behind hundreds of others (500 members
at once over 3 processes: 460 acknowledged too late when the reads came first). So they get
``ACK_AFTER`` seconds: done by then, a refusal is still private; not done, the command defers
first and finishes the reads after. While more than ``BUSY`` interactions of this process wait
on their first reads, a new one defers at once: in a burst even the timer fires late (the loop
is busy), so only deferring before any read keeps every interaction inside the 3 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import discord

T = TypeVar("T")
ACK_AFTER = 0.25
"""Seconds the first reads may take before the interaction is deferred anyway."""
BUSY = 4
"""Interactions waiting on their first reads beyond which a new one defers before reading."""
_waiting = 0  # this process's interactions in their first ACK_AFTER seconds of reads


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
    return result
