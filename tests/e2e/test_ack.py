"""/recommend is acknowledged in time when its first reads are slow (the database under load),
and a refusal that comes in time stays private."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import ack
from bot.ack import ACK_AFTER
from tests.e2e.conftest import World

SLOW_READ = 2.0  # the server-settings read under load: far past ACK_AFTER


async def test_slow_reads_are_deferred_first_then_answered(world: World, bot: Any) -> None:
    linked = await world.slash(world.alice, "link", username="alice_mal")
    assert "**14** entries" in linked.text, linked.text
    guilds = bot.services.guilds
    read = guilds.get

    async def slow_get(guild_id: int | None) -> Any:
        await asyncio.sleep(SLOW_READ)
        return await read(guild_id)

    guilds.get = slow_get
    try:
        recs = await world.slash(world.alice, "recommend", count=5)
    finally:
        guilds.get = read
    assert recs.callback == "defer" and not recs.ephemeral
    assert recs.ack_s is not None and recs.ack_s < SLOW_READ, "acknowledged before the read"
    assert recs.elapsed_s >= SLOW_READ and "Because you watched" in recs.text, recs.text
    assert ACK_AFTER < SLOW_READ


async def test_a_refusal_in_time_stays_private(world: World, bot: Any) -> None:
    refused = await world.slash(world.bob, "recommend")
    assert refused.ephemeral and "not linked" in refused.text, refused.text


async def test_in_a_burst_the_command_defers_before_reading(
    world: World, bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``BUSY`` interactions already reading, a new one acknowledges first; the price is
    that its refusal answers the (public) deferred message."""
    monkeypatch.setattr(ack, "_waiting", ack.BUSY)
    refused = await world.slash(world.bob, "recommend")
    assert refused.callback == "defer" and "not linked" in refused.text, refused.text
    assert ack._waiting == ack.BUSY  # every interaction counted in is counted out
