"""MAL failing while lists refresh, and a bot started without a model."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakes.discord import InteractionResult
from fakes.discord.catalog import SAMPLE_LIST
from tests.e2e.conftest import BotFactory, World

MAL_ID = re.compile(r"myanimelist\.net/anime/(\d+)")


def ids(result: InteractionResult) -> list[int]:
    return [int(m) for m in MAL_ID.findall(result.text)]


async def wait_rounds(bot: Any, rounds: int, within: float = 30.0) -> None:
    """Until the background refresh loop has run ``rounds`` more rounds."""
    cog = bot.get_cog("RefreshCog")
    target = cog.rounds + rounds
    for _ in range(int(within / 0.05)):
        if cog.rounds >= target:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the background refresh did not run {rounds} rounds in {within} s")


async def test_mal_outage_mid_refresh_keeps_stored_lists(
    world: World, start_bot: BotFactory
) -> None:
    bot = await start_bot(refresh_interval_minutes=0.01, refresh_min_age_hours=0)
    linked = await world.slash(world.alice, "link", username="alice_mal")
    assert "**14** entries" in linked.text
    before = await world.slash(world.alice, "recommend", count=5)

    world.mal.server_error(times=10_000, status=503)
    failed_before = len([r for r in world.mal.requests_to("/animelist")])
    await wait_rounds(bot, 3)
    assert len(world.mal.requests_to("/animelist")) > failed_before, "the refresh did try MAL"

    refresh = await world.slash(world.alice, "refresh")
    assert refresh.ephemeral and "MyAnimeList is not responding" in refresh.text, refresh.text

    during = await world.slash(world.alice, "recommend", count=5)
    assert ids(during) == ids(before), "recommendations still come from the stored list"
    profile = await world.slash(world.alice, "profile")
    assert "**14** entries" in profile.text, profile.text

    # MAL recovers and the list has grown (new entries are the most recently updated ones, as
    # on MAL, so the list's fingerprint changes): the background refresh picks it up.
    world.mal.clear_faults()
    now = datetime.now(UTC)
    added = [
        {"anime_id": anime_id, "score": 8, "status": "completed", "updated_at": now}
        for anime_id in (6, 19)
    ]
    world.mal.add_user("alice_mal", [*added, *SAMPLE_LIST])
    for _ in range(100):
        if (await bot.services.accounts.stats(world.alice.id)).entries == 16:
            break
        await wait_rounds(bot, 1)
    profile = await world.slash(world.alice, "profile")
    assert "**16** entries" in profile.text, profile.text


async def test_without_a_model_the_bot_starts_and_explains(
    world: World, start_bot: BotFactory, tmp_path: Path
) -> None:
    await start_bot(model_path=tmp_path / "no-model-here")
    linked = await world.slash(world.alice, "link", username="alice_mal")
    assert "**14** entries" in linked.text, "linking works without a model"
    res = await world.slash(world.alice, "recommend")
    assert res.ephemeral and "make model" in res.text, res.text
    why = await world.slash(world.alice, "why", title="5114")
    assert why.ephemeral and "make model" in why.text


async def test_gateway_reconnect_resumes_and_keeps_answering(world: World, bot: Any) -> None:
    await world.slash(world.alice, "link", username="alice_mal")
    gateway = world.discord.gateway
    await world.discord.request_reconnect()
    for _ in range(200):
        if gateway.resumes and gateway.ready.is_set():
            break
        await asyncio.sleep(0.05)
    assert gateway.resumes == 1 and gateway.identifies == 1, "resumed, not re-identified"
    assert gateway.connections == 2
    res = await world.slash(world.alice, "recommend", count=2)
    assert len(ids(res)) >= 2
