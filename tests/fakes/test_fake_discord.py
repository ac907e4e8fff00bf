"""The fake Discord, proven with the real discord.py client and a tiny one-file bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands

from fakes.discord import (
    FakeDiscord,
    InteractionTimeout,
    OptionError,
    Permission,
)


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord):
    """Point discord.py's REST base and default gateway at the fake, restoring them after."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


class Pager(discord.ui.View):
    """A button only the member who asked may press; pressing edits the message (type 7)."""

    def __init__(self, owner_id: int) -> None:
        super().__init__(timeout=60)
        self.owner_id = owner_id
        self.page = 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message("Not your buttons.", ephemeral=True)
            return False
        return True

    @discord.ui.button(label="Next", custom_id="pager:next")
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.page += 1
        await interaction.response.edit_message(content=f"page {self.page}", view=self)


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks for: {self.text.value}", ephemeral=True)


def tiny_bot() -> tuple[discord.Client, app_commands.CommandTree]:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    client.refusals = []  # type: ignore[attr-defined]
    tree = app_commands.CommandTree(client)

    @tree.command(description="Say it back")
    @app_commands.describe(text="what to say", times="how often")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        times: app_commands.Range[int, 1, 5] = 1,
        shout: bool = False,
    ) -> None:
        said = " ".join([text.upper() if shout else text] * times)
        await interaction.response.send_message(said)

    @tree.command(description="Think, then answer privately with a button")
    async def slow(interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        who = member.display_name if member else interaction.user.display_name
        embed = discord.Embed(title="Slow answer", description=f"for {who}")
        await interaction.followup.send(embed=embed, view=Pager(interaction.user.id))

    @tree.command(description="Pick a title")
    async def pick(interaction: discord.Interaction, title: str) -> None:
        await interaction.response.send_message(f"picked {title}")

    @pick.autocomplete("title")
    async def pick_titles(interaction: discord.Interaction, current: str):
        titles = ["Fullmetal Alchemist", "Frieren", "Fate/Zero"]
        return [
            app_commands.Choice(name=t, value=t) for t in titles if current.lower() in t.lower()
        ]

    @tree.command(description="Read an upload")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        await interaction.response.defer()
        data = await file.read()
        out = discord.File(fp=__import__("io").BytesIO(data[::-1]), filename="reversed.txt")
        await interaction.edit_original_response(content=f"{file.filename}: {len(data)}")
        await interaction.followup.send("here it is reversed", file=out)

    @tree.command(description="Admins only")
    @app_commands.default_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("hello admin", ephemeral=True)

    @tree.command(description="Too slow to answer")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.5)
        with contextlib.suppress(discord.NotFound):
            await interaction.response.send_message("too late")

    @tree.command(description="Too much to say")
    async def huge(interaction: discord.Interaction, fields: int = 26) -> None:
        embed = discord.Embed(title="Huge")
        for i in range(fields):
            embed.add_field(name=f"field {i}", value="x" * 100)
        try:
            await interaction.response.send_message(embed=embed)
        except discord.HTTPException as exc:
            client.refusals.append(exc.code)

    @tree.command(description="Too many suggestions")
    async def crowded(interaction: discord.Interaction, title: str) -> None:
        await interaction.response.send_message(title)

    @crowded.autocomplete("title")
    async def crowded_titles(interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=f"t{i}", value=str(i)) for i in range(30)]

    @tree.command(description="Open a form")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    return client, tree


@contextlib.asynccontextmanager
async def connected(
    fake: FakeDiscord, token: str = "a-test-token"
) -> AsyncIterator[discord.Client]:
    client, tree = tiny_bot()
    with pointed_at(fake):
        await client.login(token)
        await tree.sync()
        task = asyncio.create_task(client.connect(reconnect=True))
        try:
            await fake.wait_until_ready(within=10)
            await asyncio.wait_for(client.wait_until_ready(), 10)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord.running(heartbeat_interval=0.2, ack_deadline=3.0) as fake:
        yield fake


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


async def test_bodies_over_discords_limits_are_refused(fake: FakeDiscord) -> None:
    fake.ack_deadline = 1.0  # refused callbacks never arrive: don't wait Discord's full 3 s
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake) as client:
        fine = await fake.slash(guild, alice, "huge", fields=25)
        assert len(fine.embed["fields"]) == 25 and not fine.errors
        with pytest.raises(InteractionTimeout, match=r"fields: 26 > 25"):
            await fake.slash(guild, alice, "huge", fields=26)
        assert client.refusals == [50035], "discord.py saw Discord's Invalid Form Body"
        with pytest.raises(InteractionTimeout, match=r"choices: 30 > 25"):
            await fake.autocomplete(guild, alice, "crowded", "title", "t")
        assert len(fake.rejected) == 2


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


async def test_a_late_callback_is_refused_like_discord(fake: FakeDiscord) -> None:
    fake.ack_deadline = 0.2
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake):
        with pytest.raises(InteractionTimeout, match="no interaction callback"):
            await fake.slash(guild, alice, "late")
        await asyncio.sleep(0.5)
        assert any(r.status == 404 and "/callback" in r.path for r in fake.requests)


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


async def test_command_schemas_discord_would_refuse(fake: FakeDiscord) -> None:
    client, tree = tiny_bot()

    @tree.command(name="wordy", description="x" * 100)
    async def wordy(interaction: discord.Interaction, a: str, b: str | None = None) -> None:
        await interaction.response.send_message("ok")

    payload = [c.to_dict(tree) for c in tree.get_commands()]
    from fakes.discord.limits import commands_problems

    assert commands_problems(payload) == []
    bad = [
        {**payload[0], "name": "Loud"},
        {
            "name": "order",
            "description": "d" * 101,
            "options": [
                {"type": 3, "name": "late", "description": "x", "required": False},
                {"type": 3, "name": "first", "description": "", "required": True},
            ],
        },
    ]
    problems = commands_problems(bad)
    assert any("'Loud'" in p for p in problems)
    assert any("1.description" in p for p in problems)
    assert any("1.options.1.description" in p for p in problems)
    assert any("required options must come before" in p for p in problems)

    with pointed_at(fake):
        await client.login("a-test-token")
        await tree.sync()  # valid: accepted
        assert "wordy" in fake.commands[None]
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.bulk_upsert_global_commands(fake.application_id, payload=bad)
        assert refused.value.code == 50035
        assert "wordy" in fake.commands[None], "a refused overwrite changes nothing"
        await client.close()
