"""Thin cogs: parse the interaction, call a service, render an embed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.client import AnirecBot


async def setup_cogs(bot: AnirecBot) -> None:
    """Add every cog, each given the bot's services (no globals)."""
    from bot.cogs.accounts import AccountsCog
    from bot.cogs.admin import AdminCog
    from bot.cogs.recommend import RecommendCog
    from bot.cogs.refresh import RefreshCog

    for cog in (
        AccountsCog(bot.services),
        RecommendCog(bot.services),
        AdminCog(bot.services),
        RefreshCog(bot, bot.services),
    ):
        await bot.add_cog(cog)
