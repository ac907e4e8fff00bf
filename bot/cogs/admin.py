"""/config: per-server settings (Manage Server)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.context import Services


class AdminCog(commands.Cog):
    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(name="config", description="Server settings for recommendations.")
    @app_commands.describe(
        default_count="Titles per /recommend page when members do not say",
        allow_nsfw="Allow titles MAL rates NSFW",
        members_can_view_others="Let members view each other's recommendations (if shared)",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def config(
        self,
        interaction: discord.Interaction,
        default_count: app_commands.Range[int, 1, 25] | None = None,
        allow_nsfw: bool | None = None,
        members_can_view_others: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guilds = self.services.guilds
        changed = any(v is not None for v in (default_count, allow_nsfw, members_can_view_others))
        # Acknowledged first: the write may wait on the database longer than Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if changed:
            config = await guilds.update(
                interaction.guild_id,
                default_count=default_count,
                allow_nsfw=allow_nsfw,
                members_can_view_others=members_can_view_others,
            )
        else:
            config = await guilds.get(interaction.guild_id)
        await interaction.followup.send(
            embed=render.config_embed(config, changed=changed), ephemeral=True
        )
