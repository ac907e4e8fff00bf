"""A tiny one-file discord.py bot and the plumbing to run it against the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import yarl
from discord import app_commands

from fakes.discord import FakeDiscord


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


async def _identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
    """The fake does not rate-limit IDENTIFY: no 5 s between shards."""


def tiny_bot(
    shard_count: int | None = None, shard_ids: list[int] | None = None
) -> tuple[discord.Client, app_commands.CommandTree]:
    """The test bot; with ``shard_count``, an ``AutoShardedClient`` running ``shard_ids``."""
    client: discord.Client
    if shard_count is None:
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    else:
        client = discord.AutoShardedClient(
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            shard_count=shard_count,
            shard_ids=shard_ids,
        )
        client.before_identify_hook = _identify_at_once  # type: ignore[method-assign]
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
    fake: FakeDiscord,
    token: str = "a-test-token",
    *,
    shard_count: int | None = None,
    shard_ids: list[int] | None = None,
) -> AsyncIterator[discord.Client]:
    client, tree = tiny_bot(shard_count, shard_ids)
    with pointed_at(fake):
        await client.login(token)
        await tree.sync()
        task = asyncio.create_task(client.connect(reconnect=True))
        try:
            await fake.wait_until_ready(within=10, shards=shard_ids)
            await asyncio.wait_for(client.wait_until_ready(), 10)
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
