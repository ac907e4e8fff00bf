"""Per-server settings that admins change with ``/config``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import GuildSettings
from bot.services.invalidation import NotifyListener

MIN_COUNT, MAX_COUNT = 1, 25
CHANNEL = "anirec_guild_settings"


@dataclass(frozen=True, slots=True)
class GuildConfig:
    default_count: int = 10
    allow_nsfw: bool = False
    members_can_view_others: bool = True


DEFAULT_CONFIG = GuildConfig()
"""What applies in direct messages and in servers that never ran ``/config``."""


class GuildSettingsService:
    """Reads are cached in memory (every command reads them; only ``/config`` changes them).

    On SQLite one process owns the database and its own writes keep the cache right. With
    several processes on PostgreSQL, :meth:`listen` makes ``/config`` notify every process at
    commit (``LISTEN``/``NOTIFY``), which drops that guild from their caches; while the
    listener is down nothing is cached (every read goes to the database).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cache: dict[int, GuildConfig] = {}
        self._listener: NotifyListener | None = None
        self._generation = 0  # bumped by every invalidation: a read it overtook is not cached

    @property
    def caching(self) -> bool:
        return self._listener is None or self._listener.listening

    async def listen(self, url: str) -> None:
        """Share the cache's invalidation with every process on this PostgreSQL database."""
        self._listener = NotifyListener(url, CHANNEL, self._invalidate, self._reset)
        await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    def _invalidate(self, key: str) -> None:
        self._generation += 1
        try:
            self._cache.pop(int(key), None)
        except ValueError:
            self._cache.clear()

    def _reset(self) -> None:
        self._generation += 1
        self._cache.clear()

    async def get(self, guild_id: int | None) -> GuildConfig:
        if guild_id is None:
            return DEFAULT_CONFIG
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        generation = self._generation
        async with self._sessions() as session:
            row = await session.scalar(
                select(GuildSettings)
                .where(GuildSettings.guild_id == guild_id)
                .execution_options(populate_existing=True)
            )
            config = _view(row) if row else DEFAULT_CONFIG
        if self.caching and generation == self._generation:
            self._cache[guild_id] = config
        return config

    async def update(
        self,
        guild_id: int,
        *,
        default_count: int | None = None,
        allow_nsfw: bool | None = None,
        members_can_view_others: bool | None = None,
    ) -> GuildConfig:
        """Change the given settings (``None`` leaves one as it is); returns the result."""
        if default_count is not None and not MIN_COUNT <= default_count <= MAX_COUNT:
            raise ValueError(f"default_count must be {MIN_COUNT}–{MAX_COUNT}")
        async with write_session(self._sessions) as session:
            row = await session.get(GuildSettings, guild_id)
            if row is None:
                row = GuildSettings(
                    guild_id=guild_id,
                    default_count=DEFAULT_CONFIG.default_count,
                    allow_nsfw=DEFAULT_CONFIG.allow_nsfw,
                    members_can_view_others=DEFAULT_CONFIG.members_can_view_others,
                )
                session.add(row)
            if default_count is not None:
                row.default_count = default_count
            if allow_nsfw is not None:
                row.allow_nsfw = allow_nsfw
            if members_can_view_others is not None:
                row.members_can_view_others = members_can_view_others
            await session.flush()
            config = _view(row)
            if self._listener is not None:  # delivered when (and only if) this commits
                await session.execute(
                    text("SELECT pg_notify(:channel, :key)"),
                    {"channel": CHANNEL, "key": str(guild_id)},
                )
        self._generation += 1
        if self.caching:
            self._cache[guild_id] = config
        return config


def _view(row: GuildSettings) -> GuildConfig:
    return GuildConfig(
        default_count=row.default_count,
        allow_nsfw=row.allow_nsfw,
        members_can_view_others=row.members_can_view_others,
    )
