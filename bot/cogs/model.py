"""/model (Manage Server) and the model's two background loops: the watch that swaps in a
promoted model (``MODEL_WATCH_SECONDS``) and the scheduled refresh (``MODEL_REFRESH_DAYS``).

Both loops are ``tasks.loop``\\ s started in ``cog_load`` and cancelled on unload. The watch does
its file work and loading in threads (:mod:`bot.services.modelwatch`); the refresh is another
process (:mod:`bot.services.modelrefresh`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import render
from bot.context import Services
from bot.services.modelinfo import read_model_info, report_paths

log = logging.getLogger(__name__)
REFRESH_CHECK_HOURS = 1.0


def last_refresh_at(model_path: object) -> float | None:
    """When the last refresh report was written (its mtime), if there is one."""
    from pathlib import Path

    for path in report_paths(Path(str(model_path))):
        with contextlib.suppress(OSError):
            return path.stat().st_mtime
    return None


class ModelCog(commands.Cog):
    def __init__(self, bot: commands.Bot | commands.AutoShardedBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self._refresh_task: asyncio.Task[int | None] | None = None

    async def cog_load(self) -> None:
        settings = self.services.settings
        if self.services.model_watcher is not None and settings.model_watch_seconds > 0:
            self.watch.change_interval(seconds=settings.model_watch_seconds)
            self.watch.start()
        refresher = self.services.model_refresher
        if refresher is not None and refresher.enabled:
            every_hours = refresher.every_days * 24
            self.scheduled_refresh.change_interval(hours=min(REFRESH_CHECK_HOURS, every_hours))
            self.scheduled_refresh.start()

    async def cog_unload(self) -> None:
        self.watch.cancel()
        self.scheduled_refresh.cancel()
        if self.services.model_refresher is not None:
            await self.services.model_refresher.stop()
        if self._refresh_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._refresh_task, 12)

    @tasks.loop(seconds=30)
    async def watch(self) -> None:
        watcher = self.services.model_watcher
        if watcher is None:
            return
        try:
            await watcher.check()
        except Exception:
            # One failed look must not end the loop.
            log.exception("model watch failed")

    @tasks.loop(hours=REFRESH_CHECK_HOURS)
    async def scheduled_refresh(self) -> None:
        refresher = self.services.model_refresher
        if refresher is None or refresher.running:
            return
        # Due every_days after the last refresh, whoever ran it (this bot, cron, an admin):
        # the report's mtime, or this bot's last start of one.
        last = await asyncio.to_thread(last_refresh_at, refresher.model_path)
        if refresher.last_started is not None:
            last = max(last or 0.0, refresher.last_started.timestamp())
        if last is not None and time.time() - last < refresher.every_days * 86400:
            return
        # One process of a deployment retrains; the others' watchers pick up its model.
        lease = timedelta(days=refresher.every_days)
        if not await self.services.sync.leases.claim_task("model-refresh", lease):
            return
        # Its own task: the loop's next iteration does not wait on a refresh of hours.
        self._refresh_task = asyncio.create_task(refresher.run_once())

    @scheduled_refresh.before_loop
    async def before_refresh(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(name="model", description="The recommender model and its last refresh.")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def model(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.services
        watcher = services.model_watcher
        refresher = services.model_refresher
        info = await asyncio.to_thread(
            read_model_info,
            services.settings.model_path,
            loaded=services.pool.available,
            served_from=watcher.current[0] if watcher and watcher.current else None,
            swaps=watcher.swaps if watcher else 0,
            refresh=refresher.state() if refresher else None,
        )
        await interaction.followup.send(embed=render.model_embed(info), ephemeral=True)
