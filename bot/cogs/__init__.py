"""Thin cogs: parse the interaction, call a service, render an embed."""

from __future__ import annotations

from discord.ext import commands

from bot.cogs.accounts import AccountsCog
from bot.cogs.admin import AdminCog
from bot.cogs.model import ModelCog
from bot.cogs.recommend import RecommendCog
from bot.cogs.refresh import RefreshCog
from bot.cogs.together import TogetherCog
from bot.context import Services


async def setup_cogs(bot: commands.Bot | commands.AutoShardedBot, services: Services) -> None:
    """Add every cog, each given the bot's services (no globals)."""
    for cog in (
        AccountsCog(services),
        RecommendCog(services),
        TogetherCog(services),
        AdminCog(services),
        RefreshCog(bot, services),
        ModelCog(bot, services),
    ):
        await bot.add_cog(cog)
