"""The fake Discord's interactions with the real discord.py client and a tiny bot: options,
replies, defers, followups, buttons, autocomplete, attachments, modals, channel messages."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from fakes.discord import FakeDiscord, InteractionTimeout, OptionError, Permission
from tests.fakes.discord_bot import connected


async def test_slash_command_options_reach_the_handler(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        res = await fake.slash(guild, alice, "echo", text="hi", times=3, shout=True)
        assert res.callback == "message"
        assert res.content == "HI HI HI"
        assert not res.ephemeral
        assert res.ack_s is not None and res.ack_s < 3.0
        assert res.message is not None and res.message.interaction_user == alice.user


async def test_options_the_client_would_refuse(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        with pytest.raises(OptionError, match="outside"):
            await fake.slash(guild, alice, "echo", text="hi", times=9)
        with pytest.raises(OptionError, match="requires"):
            await fake.slash(guild, alice, "echo")
        with pytest.raises(OptionError, match="no option"):
            await fake.slash(guild, alice, "echo", text="hi", loud=True)
        with pytest.raises(OptionError, match="no command"):
            await fake.slash(guild, alice, "nope")
        with pytest.raises(PermissionError):
            await fake.slash(guild, alice, "admin")
        mod = fake.add_member(guild, "mod", permissions=Permission.MANAGE_GUILD)
        res = await fake.slash(guild, mod, "admin")
        assert res.content == "hello admin" and res.ephemeral


async def test_defer_followup_and_buttons_for_the_caller_only(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice", nick="Alice")
    bob = fake.add_member(guild, "bob")
    async with connected(fake):
        res = await fake.slash(guild, alice, "slow", member=bob)
        assert res.callback == "defer"
        assert res.ephemeral, "the deferred message keeps the defer's ephemeral flag"
        assert res.embed is not None and res.embed["title"] == "Slow answer"
        assert "for bob" in res.text
        button = res.button("Next")
        assert button["custom_id"] == "pager:next"

        other = await fake.click(res, "pager:next", bob)
        assert other.callback == "message" and other.ephemeral
        assert other.content == "Not your buttons."
        assert res.message is not None and res.message.edits == 1, "bob changed nothing"

        mine = await fake.click(res, "pager:next", alice)
        assert mine.callback == "update message"
        assert mine.message is res.message
        assert mine.content == "page 2"
        with pytest.raises(OptionError):
            await fake.click(res, "pager:missing", alice)


async def test_channel_messages_are_sent_read_edited_and_deleted(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    async with connected(fake) as client:
        channel = client.get_channel(guild.default_channel.id)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("first")
        assert fake.messages[sent.id].content == "first"
        edited = await sent.edit(content="second")
        assert edited.content == "second"
        assert (await channel.fetch_message(sent.id)).content == "second"
        with pytest.raises(discord.HTTPException) as refused:
            await sent.edit(content="x" * 2001)
        assert refused.value.code == 50035
        await sent.delete()
        assert fake.messages[sent.id].deleted
        with pytest.raises(discord.NotFound):
            await channel.fetch_message(sent.id)
    assert not fake.unhandled


async def test_webhooks_of_unknown_interactions_are_unknown(fake: FakeDiscord) -> None:
    base = f"{fake.api_base_url}/webhooks"
    async with aiohttp.ClientSession() as http:
        for method, url in (
            ("POST", f"{base}/{fake.application_id}/no-such-token"),
            ("GET", f"{base}/{fake.application_id}/no-such-token/messages/@original"),
            ("POST", f"{base}/{fake.application_id + 1}/no-such-token"),
        ):
            async with http.request(method, url, json={"content": "hi"}) as response:
                assert response.status == 404
                assert (await response.json())["code"] == 10015


async def test_autocomplete_returns_choices(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        choices = await fake.autocomplete(guild, alice, "pick", "title", "f")
        assert [c["value"] for c in choices] == ["Fullmetal Alchemist", "Frieren", "Fate/Zero"]
        choices = await fake.autocomplete(guild, alice, "pick", "title", "fri")
        assert [c["name"] for c in choices] == ["Frieren"]


async def test_attachments_download_from_the_cdn_and_upload_multipart(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        file = fake.attachment("list.txt", b"abc123", "text/plain")
        res = await fake.slash(guild, alice, "upload", file=file)
        assert res.content == "list.txt: 6"
        assert len(res.followups) == 1
        uploaded = res.followups[0].attachments
        assert [a["filename"] for a in uploaded] == ["reversed.txt"]
        stored = fake.attachments[int(uploaded[0]["id"])]
        assert stored.data == b"321cba"


async def test_modal_round_trip(fake: FakeDiscord) -> None:
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        res = await fake.slash(guild, alice, "feedback")
        assert res.callback == "modal" and res.modal is not None
        done = await fake.submit_modal(res, alice, {"feedback:text": "great bot"})
        assert done.content == "thanks for: great bot"


async def test_a_late_callback_is_refused_like_discord(fake: FakeDiscord) -> None:
    fake.ack_deadline = 0.2
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        with pytest.raises(InteractionTimeout, match="no interaction callback"):
            await fake.slash(guild, alice, "late")
        await asyncio.sleep(0.5)
        assert any(r.status == 404 and "/callback" in r.path for r in fake.requests)
