"""Shards with the real bot against the fake Discord: each shard gets its servers, commands on any
shard are answered, gateway faults per shard lose and repeat nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from fakes.discord import FakeDiscord, FakeGuild, FakeMember, InteractionResult
from tests.e2e.conftest import BotFactory, World


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    """Two shards (the e2e fixtures' ``world`` and ``start_bot`` use this one)."""
    async with FakeDiscord.running(heartbeat_interval=1.0, shard_count=2) as fake:
        yield fake


def refused(fake: FakeDiscord) -> list[tuple[str, int]]:
    """Interaction callbacks Discord refused: 400 (answered twice) or 404 (later than 3 s)."""
    return [
        (r.path, r.status)
        for r in fake.requests
        if r.path.endswith("/callback") and r.status >= 400
    ]


def recommended(result: InteractionResult) -> bool:
    return "Recommendations for" in result.text


async def test_each_shard_gets_its_servers_and_answers_them(
    world: World, start_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.discord
    on_zero, on_one = fake.add_guild("zero", shard=0), fake.add_guild("one", shard=1)
    dana = fake.add_member(on_one, "dana")
    caplog.set_level(logging.INFO, logger="bot.client")
    bot = await start_bot(shard_count=2)
    assert (bot.shard_count, bot.shard_ids) == (2, [0, 1])
    for guild in (world.guild, on_zero, on_one):
        seen = bot.get_guild(guild.id)
        assert seen is not None and seen.shard_id == fake.shard_of(guild)
    for shard_id in (0, 1):
        session = fake.gateway.shards[shard_id].session
        assert session is not None and session.identify["shard"] == [shard_id, 2]
        ready = session.events[0]["d"]
        expected = {g for g in fake.guilds if fake.shard_of(g) == shard_id}
        assert {int(g["id"]) for g in ready["guilds"]} == expected
        assert f"shard {shard_id} of 2: {len(expected)} servers, latency " in caplog.text
    assert "(shards" not in caplog.text and "(all 2 shards)" in caplog.text

    linked = await fake.slash(on_one, dana, "link", username="alice_mal")
    assert "Linked" in linked.text
    assert recommended(await fake.slash(on_one, dana, "recommend", count=3))
    assert not refused(fake)


async def stream(
    fake: FakeDiscord,
    who: list[tuple[FakeGuild, FakeMember]],
    fault: Callable[[], Awaitable[None]],
    count: int = 9,
) -> list[InteractionResult]:
    """``count`` /recommend calls, several in flight, ``fault`` a third of the way in."""

    async def one(i: int) -> InteractionResult:
        await asyncio.sleep(0.05 * i)
        if i == count // 3:
            await fault()
        guild, member = who[i % len(who)]
        return await fake.slash(guild, member, "recommend", count=3, within=30)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def test_gateway_faults_per_shard_lose_and_repeat_nothing(
    world: World, start_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.discord
    on_zero, on_one = fake.add_guild("zero", shard=0), fake.add_guild("one", shard=1)
    erin, finn = fake.add_member(on_zero, "erin"), fake.add_member(on_one, "finn")
    caplog.set_level(logging.INFO, logger="bot.client")
    bot = await start_bot(shard_count=2)
    bot.services.cooldowns.clear()  # one member asks many times here
    bot.identify_limits.reidentify_delay = (0.2, 0.5)  # Discord's 1-5 s, shortened
    for guild, member in ((on_zero, erin), (on_one, finn)):
        assert "Linked" in (await fake.slash(guild, member, "link", username="bob_mal")).text
    who = [(on_zero, erin), (on_one, finn)]
    shards = fake.gateway.shards

    faults = [
        ("drop", 1, fake.drop_connection),
        ("reconnect", 0, fake.request_reconnect),
        ("invalidate", 1, fake.invalidate_session),
    ]
    for name, shard_id, action in faults:
        before = (shards[shard_id].identifies, shards[shard_id].resumes)
        other = (shards[1 - shard_id].identifies, shards[1 - shard_id].resumes)
        results = await stream(fake, who, lambda a=action, s=shard_id: a(shard=s))
        assert all(recommended(r) for r in results), (
            name,
            [r.text[:80] for r in results if not recommended(r)],
        )
        await fake.gateway.wait_shard(shard_id, within=15)
        guild, member = who[shard_id]
        after = await fake.slash(guild, member, "recommend", count=3)
        assert recommended(after), f"the command after {name} on shard {shard_id}"
        identified, resumed = (1, 0) if name == "invalidate" else (0, 1)
        now = (shards[shard_id].identifies, shards[shard_id].resumes)
        assert now == (before[0] + identified, before[1] + resumed), name
        assert (shards[1 - shard_id].identifies, shards[1 - shard_id].resumes) == other
    assert not refused(fake), "an interaction was answered twice or after Discord's 3 s"
    assert "shard 1 of 2: " in caplog.text and ", resumed" in caplog.text


async def test_a_click_no_live_view_holds_is_answered_as_expired(world: World) -> None:
    """A process that restarted (or took over the shard) holds none of the old views: the
    click gets one private line instead of Discord's "This interaction failed"."""
    from bot.app import running_bot
    from bot.expired import EXPIRED

    fake, settings = world.discord, world.settings.model_copy(update={"shard_count": 2})
    async with running_bot(settings) as bot:
        bot.services.cooldowns.clear()
        await world.slash(world.alice, "link", username="alice_mal")
        recs = await world.slash(world.alice, "recommend", count=3)
        page = await fake.click(recs, recs.button("Next")["custom_id"], world.alice)
        assert "Page 2/" in page.text, "the live view turns the page"
    async with running_bot(settings):
        await fake.wait_until_ready(within=30)
        stale = await fake.click(recs, recs.button("Next")["custom_id"], world.alice)
    assert stale.ephemeral and stale.text == EXPIRED
    assert not refused(fake)
