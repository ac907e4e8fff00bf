"""Per-member cool-downs whose sizes live on the bot (``Services.cooldowns``), not in globals,
so tests and operators can change them."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.context import DEFAULT_COOLDOWNS


def member_cooldown(name: str) -> Any:
    """``app_commands.checks.dynamic_cooldown`` keyed by member, sized by ``name``'s policy."""

    def factory(interaction: discord.Interaction) -> app_commands.Cooldown | None:
        services = getattr(interaction.client, "services", None)
        policy = services.cooldowns if services is not None else DEFAULT_COOLDOWNS
        rate_per = policy.get(name)
        if rate_per is None or rate_per[0] <= 0:
            return None
        return app_commands.Cooldown(rate_per[0], rate_per[1])

    return app_commands.checks.dynamic_cooldown(factory, key=lambda i: i.user.id)
