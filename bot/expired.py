"""Buttons and menus no live view of this process claims get one short answer instead of
Discord's "This interaction failed".

The views (:mod:`bot.views`, :mod:`bot.feedback_views`) keep their state (the computed page of
recommendations, the action to confirm, the titles of a menu) in the memory of the process
that sent them. Discord routes a click to the shard of the message's server, which is the
process that sent it, so with any number of processes a click reaches its view, unless that
process restarted, the shards were split differently since, or the view timed out. Those
clicks used to be dropped silently by discord.py; this answers them, privately.

It reads discord.py's view store (``ViewStore._views``, ``_dynamic_items``: private, stable
across the pinned 2.x) in the INTERACTION_CREATE parser, before the store dispatches, so a view
that stops itself in its own callback is never mistaken for a missing one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

log = logging.getLogger(__name__)
COMPONENT = 3
EXPIRED = (
    "These buttons have expired (the bot restarted or was reorganised since): "
    "run the command again."
)


def claimed(state: Any, data: dict[str, Any]) -> bool:
    """Whether a view (or dynamic item) of ``state`` answers this component interaction."""
    inner = data.get("data") or {}
    custom_id = str(inner.get("custom_id", ""))
    key = (int(inner.get("component_type", 0)), custom_id)
    message = data.get("message") or {}
    message_id = int(message["id"]) if "id" in message else None
    store = state._view_store
    views = store._views
    if key in views.get(message_id, {}) or key in views.get(None, {}):
        return True
    return any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items)


def answer_expired_components(client: discord.Client) -> None:
    """Wrap ``client``'s INTERACTION_CREATE parser to answer the clicks nothing claims."""
    state: Any = client._connection
    parsers = state.parsers
    original = parsers["INTERACTION_CREATE"]
    tasks: set[asyncio.Task[None]] = set()

    async def reply(interaction: discord.Interaction) -> None:
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.send_message(EXPIRED, ephemeral=True)

    def interaction_create(data: dict[str, Any]) -> None:
        stale = data.get("type") == COMPONENT and not claimed(state, data)
        original(data)
        if stale:
            log.info("a click on a view this process does not hold: answered as expired")
            task = asyncio.ensure_future(reply(discord.Interaction(data=data, state=state)))  # type: ignore[arg-type]
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    parsers["INTERACTION_CREATE"] = interaction_create
