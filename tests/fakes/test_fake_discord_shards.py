"""The fake gateway's shards with discord.py's own ``AutoShardedClient``: READY per shard with
only its guilds, interactions on the guild's shard, two clients splitting the shards, and the
per-shard faults (drop → RESUME, op 7 → RESUME, op 9 → re-IDENTIFY) under a stream of commands."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
import discord
import pytest

from fakes.discord import FakeDiscord, FakeGuild, FakeMember, InteractionResult
from tests.fakes.discord_bot import connected, pointed_at, tiny_bot


def callbacks_refused(fake: FakeDiscord) -> list[int]:
    """Statuses of refused interaction callbacks (400 = answered twice, 404 = too late)."""
    return [r.status for r in fake.requests if r.path.endswith("/callback") and r.status >= 400]


async def test_gateway_bot_and_ready_follow_the_shards() -> None:
    async with FakeDiscord.running(heartbeat_interval=0.5, shard_count=3) as fake:
        guilds = {
            shard: [fake.add_guild(f"g{shard}", shard=shard) for _ in range(2)]
            for shard in range(3)
        }
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": "Bot a-test-token"}
            async with http.get(f"{fake.api_base_url}/gateway/bot", headers=headers) as response:
                assert (await response.json())["shards"] == 3
        assert fake.shard_of(None) == 0, "DMs go to shard 0"
        async with connected(fake, shard_count=3) as client:
            for shard_id, expected in guilds.items():
                state = fake.gateway.shards[shard_id]
                assert state.session is not None and state.identifies == 1
                assert state.session.identify["shard"] == [shard_id, 3]
                ready = state.session.events[0]
                assert ready["t"] == "READY" and ready["d"]["shard"] == [shard_id, 3]
                assert {int(g["id"]) for g in ready["d"]["guilds"]} == {g.id for g in expected}
                for guild in expected:
                    seen = client.get_guild(guild.id)
                    assert seen is not None and seen.shard_id == shard_id


async def test_a_client_with_the_wrong_shard_count_is_closed_with_4010() -> None:
    async with FakeDiscord.running(heartbeat_interval=0.5, shard_count=2) as fake:
        client, _ = tiny_bot(shard_count=3)
        with pointed_at(fake):
            await client.login("a-test-token")
            with pytest.raises(discord.ConnectionClosed) as closed:
                await asyncio.wait_for(client.connect(reconnect=True), 10)
            await client.close()
        assert closed.value.code == 4010
        assert fake.gateway.identifies == 0


async def test_two_clients_split_the_shards_and_each_answers_its_guilds() -> None:
    async with FakeDiscord.running(heartbeat_interval=0.5, shard_count=3) as fake:
        first, last = fake.add_guild("on 0", shard=0), fake.add_guild("on 2", shard=2)
        alice, bob = fake.add_member(first, "alice"), fake.add_member(last, "bob")
        async with (
            connected(fake, shard_count=3, shard_ids=[0]) as zero,
            connected(fake, shard_count=3, shard_ids=[1, 2]) as rest,
        ):
            assert [g.id for g in zero.guilds] == [first.id]
            assert [g.id for g in rest.guilds] == [last.id]
            assert (await fake.slash(first, alice, "echo", text="zero")).content == "zero"
            assert (await fake.slash(last, bob, "echo", text="two")).content == "two"
            assert fake.gateway.shards[2].connection is not None
            await fake.ping(shard=2)
        assert not callbacks_refused(fake)


async def stream_through(
    fake: FakeDiscord,
    guild: FakeGuild,
    member: FakeMember,
    fault: Callable[[], Awaitable[None]],
    *,
    count: int = 24,
) -> list[InteractionResult]:
    """``count`` commands, a few in flight at any time, with ``fault`` a third of the way in."""

    async def one(i: int) -> InteractionResult:
        await asyncio.sleep(0.04 * i)
        if i == count // 3:
            await fault()
        return await fake.slash(guild, member, "echo", text=f"n{i}")

    return list(await asyncio.gather(*(one(i) for i in range(count))))


@pytest.mark.parametrize("fault", ["drop", "reconnect", "invalidate"])
async def test_a_shard_fault_mid_stream_loses_and_repeats_nothing(fault: str) -> None:
    async with FakeDiscord.running(heartbeat_interval=0.5, shard_count=2) as fake:
        quiet, busy = fake.add_guild("on 0", shard=0), fake.add_guild("on 1", shard=1)
        alice = fake.add_member(busy, "alice")
        actions = {
            "drop": lambda: fake.drop_connection(shard=1),
            "reconnect": lambda: fake.request_reconnect(shard=1),
            "invalidate": lambda: fake.invalidate_session(shard=1),
        }
        async with connected(fake, shard_count=2) as client:
            results = await stream_through(fake, busy, alice, actions[fault])
            await fake.gateway.wait_shard(1, within=10)
            after = await fake.slash(busy, alice, "echo", text="after")
            assert client.get_guild(quiet.id) is not None
        assert [r.content for r in results] == [f"n{i}" for i in range(len(results))]
        assert after.content == "after"
        assert not callbacks_refused(fake), "an interaction was answered twice or too late"
        one, zero = fake.gateway.shards[1], fake.gateway.shards[0]
        assert (zero.identifies, zero.resumes) == (1, 0), "the other shard was untouched"
        if fault == "invalidate":
            assert (one.identifies, one.resumes) == (2, 0)
        else:
            assert (one.identifies, one.resumes) == (1, 1)
        assert one.connections == 2
