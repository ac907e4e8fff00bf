"""Per-server settings that admins change with ``/config``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import GuildSettings

MIN_COUNT, MAX_COUNT = 1, 25


@dataclass(frozen=True, slots=True)
class GuildConfig:
    default_count: int = 10
    allow_nsfw: bool = False
    members_can_view_others: bool = True


DEFAULT_CONFIG = GuildConfig()
"""What applies in direct messages and in servers that never ran ``/config``."""


class GuildSettingsService:
    """Reads are cached in memory (every command reads them; only ``/config`` changes them,
    through this service, and one bot process owns the database)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cache: dict[int, GuildConfig] = {}

    async def get(self, guild_id: int | None) -> GuildConfig:
        if guild_id is None:
            return DEFAULT_CONFIG
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        async with self._sessions() as session:
            row = await session.get(GuildSettings, guild_id)
            config = _view(row) if row else DEFAULT_CONFIG
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
        self._cache[guild_id] = config
        return config


def _view(row: GuildSettings) -> GuildConfig:
    return GuildConfig(
        default_count=row.default_count,
        allow_nsfw=row.allow_nsfw,
        members_can_view_others=row.members_can_view_others,
    )
