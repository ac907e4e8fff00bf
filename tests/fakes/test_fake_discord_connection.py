"""The fake Discord's gateway and login with the real discord.py client: identify,
heartbeats, RESUME, tokens, and the REST rate limits and errors discord.py retries."""

from __future__ import annotations

import asyncio

import discord
import pytest

from fakes.discord import FakeDiscord
from tests.fakes.discord_bot import connected, pointed_at, tiny_bot


async def test_connects_identifies_and_keeps_heartbeats(fake: FakeDiscord) -> None:
    guild = fake.add_guild("Anime Club")
    async with connected(fake) as client:
        assert client.user is not None and client.user.id == fake.bot_user.id
        assert client.get_guild(guild.id) is not None, "GUILD_CREATE reached the client"
        assert fake.gateway.identifies == 1
        assert fake.gateway.connection is not None and fake.gateway.connection.compressed
        assert {"echo", "slow", "pick", "upload", "admin"} <= set(fake.commands[None])
        await asyncio.sleep(0.7)
        rtt = await fake.ping()
        assert 0 < rtt < 1.0
        stats = fake.heartbeats.summary()
        assert stats["heartbeats"] >= 3, stats
        assert stats["pings"] == 1
        assert client.latency < 1.0, "discord.py measured an ACK latency"
    assert not fake.unhandled


async def test_rate_limits_and_server_errors_are_retried_by_discord_py(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        fake.fail("/callback", 429, retry_after=0.1)
        res = await fake.slash(guild, alice, "echo", text="after a 429")
        assert res.content == "after a 429"
        fake.fail("/webhooks/", 502, method="POST")
        res = await fake.slash(guild, alice, "slow")
        assert res.embed is not None, "the followup went through on discord.py's retry"
        statuses = [
            r.status for r in fake.requests if "/callback" in r.path or "/webhooks/" in r.path
        ]
        assert 429 in statuses and 502 in statuses
        assert not fake.faults


async def test_reconnect_resumes_the_session(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        await fake.request_reconnect()
        for _ in range(100):
            if fake.gateway.resumes:
                break
            await asyncio.sleep(0.05)
        assert fake.gateway.resumes == 1 and fake.gateway.connections == 2
        res = await fake.slash(guild, alice, "echo", text="still here")
        assert res.content == "still here"


async def test_a_wrong_token_fails_login() -> None:
    async with FakeDiscord.running(token="the-right-token") as fake:
        client, _ = tiny_bot()
        with pointed_at(fake), pytest.raises(discord.LoginFailure):
            await client.login("a-wrong-token")
        await client.close()
