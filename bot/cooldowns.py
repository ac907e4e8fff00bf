"""Per-member cool-downs whose sizes live on the bot (``Services.cooldowns``), not in globals,
so tests and operators can change them.

With a shared database (``Services.shared_cooldowns``, PostgreSQL) the commands it names are
counted there instead of in this process's memory, so a member cannot dodge a cool-down by
reaching another bot process (another shard's server)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.context import DEFAULT_COOLDOWNS


def member_cooldown(name: str) -> Callable[[Any], Any]:
    """A member-keyed cool-down sized by ``name``'s policy: discord.py's
    ``dynamic_cooldown`` in memory, or the database's when it holds ``name``."""

    def shared_store(interaction: discord.Interaction) -> Any:
        store = getattr(getattr(interaction.client, "services", None), "shared_cooldowns", None)
        return store if store is not None and name in store.commands else None

    def policy(interaction: discord.Interaction) -> tuple[int, float] | None:
        services = getattr(interaction.client, "services", None)
        rate_per = (services.cooldowns if services is not None else DEFAULT_COOLDOWNS).get(name)
        return None if rate_per is None or rate_per[0] <= 0 else rate_per

    def factory(interaction: discord.Interaction) -> app_commands.Cooldown | None:
        rate_per = policy(interaction)
        if rate_per is None or shared_store(interaction) is not None:
            return None
        return app_commands.Cooldown(rate_per[0], rate_per[1])

    async def shared(interaction: discord.Interaction) -> bool:
        store, rate_per = shared_store(interaction), policy(interaction)
        if store is None or rate_per is None:
            return True
        retry_after = await store.hit(interaction.user.id, name, *rate_per)
        if retry_after is not None:
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(*rate_per), retry_after)
        return True

    in_memory = app_commands.checks.dynamic_cooldown(factory, key=lambda i: i.user.id)
    in_database = app_commands.check(shared)

    def decorator(command: Any) -> Any:
        return in_memory(in_database(command))

    return decorator
