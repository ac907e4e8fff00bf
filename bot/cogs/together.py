"""/together: picks for a group of members (:mod:`bot.services.together`), with feedback menus."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.context import Services
from bot.cooldowns import member_cooldown
from bot.feedback_views import TogetherView
from bot.services.errors import NoModel
from bot.services.together import Invitee, TogetherService


def invitee(user: discord.User | discord.Member) -> Invitee:
    """A raw user id resolves to a bare ``User``: such a user is not in this server."""
    return Invitee(
        user.id, user.display_name, in_server=isinstance(user, discord.Member), is_bot=user.bot
    )


class TogetherCog(commands.Cog):
    def __init__(self, services: Services) -> None:
        self.services = services
        self.group_picks = TogetherService(services.recommendations)

    @app_commands.command(
        name="together", description="Anime none of you has seen, ranked for the whole group."
    )
    @app_commands.describe(
        member1="A member to watch with (they must share their recommendations)",
        member2="Another member",
        member3="Another member",
        member4="Another member",
        member5="Another member",
        member6="Another member",
        member7="Another member",
        count="Titles to show (1–25)",
        media="Only this kind of anime",
        include_planned="Include titles on members' plan-to-watch lists",
    )
    @app_commands.guild_only()
    @member_cooldown("together")
    async def together(
        self,
        interaction: discord.Interaction,
        member1: discord.User,
        member2: discord.User | None = None,
        member3: discord.User | None = None,
        member4: discord.User | None = None,
        member5: discord.User | None = None,
        member6: discord.User | None = None,
        member7: discord.User | None = None,
        count: app_commands.Range[int, 1, 25] | None = None,
        media: Literal["tv", "movie", "ova", "ona", "special", "any"] = "any",
        include_planned: bool = False,
    ) -> None:
        services = self.services
        if not services.recommendations.available:
            raise NoModel()
        config = await services.guilds.get(interaction.guild_id)
        others = [m for m in (member1, member2, member3, member4, member5, member6, member7) if m]
        picks = self.group_picks
        # Who takes part first: a refusal is then a short message only the caller sees.
        members, left_out = await picks.group(
            invitee(interaction.user), [invitee(m) for m in others], config
        )
        await interaction.response.defer(thinking=True)
        result = await picks.rank(
            members,
            left_out,
            config,
            k=count or config.default_count,
            media=media,
            include_planned=include_planned,
        )
        embed = render.together_embed(result)
        if not result.items:
            await interaction.followup.send(embed=embed)
            return
        view = TogetherView(result, services.accounts.feedback.mark)
        view.message = await interaction.followup.send(embed=embed, view=view, wait=True)
