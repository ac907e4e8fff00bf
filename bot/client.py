"""The discord.py client: a ``commands.AutoShardedBot`` holding the services, and a command tree
whose error handler applies the error policy (:mod:`bot.error_policy`)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from bot.cogs import setup_cogs
from bot.context import Services
from bot.db.engine import write_session
from bot.db.models import BotState
from bot.db.upsert import insert_for
from bot.error_policy import UNEXPECTED, reply_error, unwrap, user_message
from bot.expired import answer_expired_components
from bot.shards import IdentifyBuckets, latency_ms

log = logging.getLogger(__name__)
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
COMMAND_HASH_KEY = "command_tree_hash"


class AnirecTree(app_commands.CommandTree["AnirecBot"]):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        text = user_message(error)
        if text is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed", command, exc_info=unwrap(error))
            text = UNEXPECTED
        await reply_error(interaction, text)


class AnirecBot(commands.AutoShardedBot):
    """The bot: slash commands only, the ``guilds`` intent only (nothing privileged), one
    websocket per shard it runs (``SHARD_COUNT``, ``SHARD_IDS``/``CLUSTER_*``; one by default)."""

    def __init__(self, services: Services, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        self.shard_plan = services.settings.shards
        if "connector" not in options:
            # Bounded: a burst of interactions otherwise opens one connection per reply at
            # once, and hundreds of connects and responses complete in one loop iteration
            # (loop lag); past the bound a request waits for a connection to come back. Each
            # shard's gateway websocket holds one of them for good: on top of the bound.
            limit = services.settings.discord_http_connections + len(self.shard_plan.ids)
            options["connector"] = aiohttp.TCPConnector(limit=limit)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=AnirecTree,
            help_command=None,
            shard_count=self.shard_plan.count,
            shard_ids=list(self.shard_plan.ids),
            **options,
        )
        self.services = services
        self.identify_limits = IdentifyBuckets(self._max_concurrency)
        self.commands_synced: bool | None = None  # None: not checked yet
        self.closed = asyncio.Event()
        self.shutdown: asyncio.Task[None] | None = None  # set by bot.app.start_bot
        gateway = services.settings.discord_gateway_url
        self._gateway = (
            yarl.URL(gateway) if gateway.rstrip("/") != DEFAULT_GATEWAY.rstrip("/") else None
        )
        if self._gateway is not None:
            self._pin_resume_gateway()
        answer_expired_components(self)

    def _pin_resume_gateway(self) -> None:
        """Resume through the configured gateway too, not READY's ``resume_gateway_url``
        (discord.py sets that on READY, before calling the READY parser wrapped here)."""
        parsers = self._connection.parsers
        original = parsers["READY"]

        def ready(data: Any) -> None:
            original(data)
            # The shard's Shard (and so its websocket) is registered before it reads READY.
            with contextlib.suppress(KeyError):
                ws = self._get_websocket(shard_id=int(data.get("shard", [0])[0]))
                if self._gateway is not None:
                    ws.gateway = self._gateway

        parsers["READY"] = ready

    async def _max_concurrency(self) -> int:
        return (await self.fetch_session_start_limits()).max_concurrency

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self.identify_limits.wait(shard_id or 0)

    async def setup_hook(self) -> None:
        await setup_cogs(self, self.services)
        await self.sync_commands()

    def command_payload(self, guild: discord.abc.Snowflake | None) -> str:
        commands_ = [c.to_dict(self.tree) for c in self.tree.get_commands(guild=guild)]
        return json.dumps(
            {
                "guild": guild.id if guild else None,
                "app": self.application_id,
                "commands": commands_,
            },
            sort_keys=True,
        )

    async def sync_commands(self) -> bool:
        """Sync the slash commands (to ``DEV_GUILD_ID`` if set, else globally) only when they
        changed since the last sync, to stay clear of Discord's rate limits."""
        dev_guild = self.services.settings.dev_guild_id
        guild = discord.Object(dev_guild) if dev_guild else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        digest = hashlib.sha256(self.command_payload(guild).encode()).hexdigest()
        sessions = self.services.sessions
        async with sessions() as session:
            stored = await session.scalar(
                select(BotState.value).where(BotState.key == COMMAND_HASH_KEY)
            )
        if stored == digest:
            log.info("slash commands unchanged; not syncing")
            self.commands_synced = False
            return False
        synced = await self.tree.sync(guild=guild)
        # One upsert: processes starting together all sync, and a get-then-add lost the race
        # on the primary key (the losing process crashed at start-up).
        async with write_session(sessions) as session:
            insert = insert_for(session, BotState).values(key=COMMAND_HASH_KEY, value=digest)
            await session.execute(
                insert.on_conflict_do_update(index_elements=["key"], set_={"value": digest})
            )
        log.info(
            "synced %d slash commands %s",
            len(synced),
            f"to guild {dev_guild}" if guild else "globally",
        )
        self.commands_synced = True
        return True

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self.closed.set()

    async def on_ready(self) -> None:
        log.info("ready as %s in %d servers (%s)", self.user, len(self.guilds), self.shard_plan)

    def _shard_line(self, shard_id: int) -> str:
        shard = self.get_shard(shard_id)
        servers = sum(1 for g in self.guilds if g.shard_id == shard_id)
        latency = latency_ms(shard.latency) if shard is not None else "n/a"
        return f"shard {shard_id} of {self.shard_plan.count}: {servers} servers, latency {latency}"

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("%s, ready", self._shard_line(shard_id))

    async def on_shard_resumed(self, shard_id: int) -> None:
        log.info("%s, resumed", self._shard_line(shard_id))

    async def on_shard_disconnect(self, shard_id: int) -> None:
        log.info("shard %d of %d disconnected; reconnecting", shard_id, self.shard_plan.count)
