"""``/config``: the server's settings."""

from __future__ import annotations

import discord

from bot.render.common import COLOUR
from bot.services.guilds import GuildConfig


def config_embed(config: GuildConfig, *, changed: bool) -> discord.Embed:
    embed = discord.Embed(
        colour=COLOUR, title="Server settings updated" if changed else "Server settings"
    )
    embed.add_field(name="Default count", value=str(config.default_count))
    embed.add_field(name="NSFW titles", value="allowed" if config.allow_nsfw else "hidden")
    embed.add_field(
        name="Members can view others",
        value="yes (if they share)" if config.members_can_view_others else "no",
    )
    return embed
