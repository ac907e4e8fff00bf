"""Member cool-downs held in the database, for the commands a member could otherwise repeat by
reaching another bot process (each keeps discord.py's cool-downs in its own memory): the ones
that cost MAL requests or replace a stored list. Used only when the database is shared
(PostgreSQL); one process on SQLite keeps discord.py's in-memory cool-downs.

Each (member, command) row counts uses in a window that starts with the first use, like
discord.py's ``Cooldown(rate, per)``; one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
counts a use and reads the result atomically, whichever process runs it.
"""

from __future__ import annotations

import time

from sqlalchemy import case
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import MemberCooldown
from bot.db.upsert import insert_for

SHARED_COMMANDS = frozenset({"link", "import", "refresh"})


class SharedCooldowns:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        commands: frozenset[str] = SHARED_COMMANDS,
    ) -> None:
        self._sessions = sessions
        self.commands = commands

    async def hit(
        self, discord_user_id: int, command: str, rate: int, per: float, *, now: float | None = None
    ) -> float | None:
        """Count one use of ``command`` at ``now`` (Unix time; default: the clock); ``None`` when
        allowed, else the seconds to wait."""
        now = time.time() if now is None else now
        table = MemberCooldown.__table__
        expired = table.c.window_end <= now
        async with write_session(self._sessions) as session:
            statement = (
                insert_for(session, MemberCooldown)
                .values(
                    discord_user_id=discord_user_id, command=command, uses=1, window_end=now + per
                )
                .on_conflict_do_update(
                    index_elements=[table.c.discord_user_id, table.c.command],
                    set_={
                        "uses": case((expired, 1), else_=table.c.uses + 1),
                        "window_end": case((expired, now + per), else_=table.c.window_end),
                    },
                )
                .returning(table.c.uses, table.c.window_end)
            )
            uses, window_end = (await session.execute(statement)).one()
        return None if uses <= rate else max(0.0, window_end - now)
