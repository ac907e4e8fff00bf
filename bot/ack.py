"""Acknowledge an interaction in time, whatever the database's load.

Discord fails an interaction that is not acknowledged within 3 s. A command's first reads (the
server's settings, the member's account) can refuse it with a private message, which only works
before a public ``defer``; under load those reads queue behind hundreds of others (500 members
at once over 3 processes: 460 acknowledged too late when the reads came first). So they get
``ACK_AFTER`` seconds: done by then, a refusal is still private; not done, the command defers
first and finishes the reads after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import discord

T = TypeVar("T")
ACK_AFTER = 0.25
"""Seconds the first reads may take before the interaction is deferred anyway."""


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
    task = asyncio.ensure_future(checks)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        result = await task
    finally:
        if not task.done():
            task.cancel()
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return result
