"""Leases on linked accounts for the background refresh, so that N bot processes on one database
never fetch the same list twice and a dead process's accounts are taken over.

A process claims a small batch of due accounts by writing its name and an expiry into
``lease_owner``/``lease_until`` of rows whose lease is free or expired. On PostgreSQL the rows
are picked with ``SELECT … FOR UPDATE SKIP LOCKED`` (two processes claiming at once lock
different rows instead of waiting for, or double-claiming, the same ones); on SQLite the claim
runs in a ``BEGIN IMMEDIATE`` transaction (:func:`bot.db.engine.write_session`), so the select
and the update are one atomic step. A process killed with its leases held (``kill -9``) never
releases them: they expire after ``duration`` and the next claim takes them over.

:meth:`AccountLeases.claim_task` leases a deployment-wide chore (the catalog's MAL pages, the
scheduled model refresh) the same way, in a ``bot_state`` row: one process runs it, and keeps
it by renewing, until it dies and the lease runs out.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import BotState, LinkedAccount
from bot.db.upsert import insert_for

DEFAULT_LEASE = timedelta(minutes=15)
"""Long enough for a batch of large lists at MAL's pace; what a dead process's accounts wait."""
DEFAULT_BATCH = 10


def process_name() -> str:
    """This process's lease owner: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AccountLeases:
    """Claims and releases refresh leases for one process (``owner``)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        owner: str | None = None,
        duration: timedelta = DEFAULT_LEASE,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        self._sessions = sessions
        self.owner = (owner or process_name())[:64]
        self.duration = duration
        self.batch = batch

    async def claim(
        self, min_age: timedelta, limit: int, sites: Iterable[str], *, exclude: Iterable[int] = ()
    ) -> list[int]:
        """Lease up to ``limit`` accounts of ``sites`` not checked for ``min_age`` and not
        leased by a live process, stalest (never checked) first; returns their ids."""
        now = datetime.now(UTC)
        stamp = LinkedAccount.last_checked_at
        query = (
            select(LinkedAccount.discord_user_id)
            .where(LinkedAccount.source.in_(list(sites)))
            .where(or_(stamp.is_(None), stamp <= now - min_age))
            .where(or_(LinkedAccount.lease_until.is_(None), LinkedAccount.lease_until <= now))
            .order_by(stamp.is_not(None), stamp.asc(), LinkedAccount.linked_at.asc())
            .limit(limit)
            .with_for_update(skip_locked=True)  # renders nothing on SQLite (see the docstring)
        )
        skip = set(exclude)
        if skip:
            query = query.where(LinkedAccount.discord_user_id.not_in(skip))
        async with write_session(self._sessions) as session:
            ids = list((await session.scalars(query)).all())
            if ids:
                await session.execute(
                    update(LinkedAccount)
                    .where(LinkedAccount.discord_user_id.in_(ids))
                    .values(lease_owner=self.owner, lease_until=now + self.duration)
                    .execution_options(synchronize_session=False)
                )
        return ids

    async def release(self, user_ids: Iterable[int]) -> None:
        """Give back this process's leases on ``user_ids`` (another's lease is left alone)."""
        ids = list(user_ids)
        if not ids:
            return
        async with write_session(self._sessions) as session:
            await session.execute(
                update(LinkedAccount)
                .where(
                    and_(
                        LinkedAccount.discord_user_id.in_(ids),
                        LinkedAccount.lease_owner == self.owner,
                    )
                )
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )

    async def claim_task(self, name: str, duration: timedelta) -> bool:
        """Whether this process should run the deployment-wide task ``name`` now: true (and
        held for ``duration``) when no other live process holds it."""
        key = f"lease:{name}"[:64]
        now = time.time()
        async with write_session(self._sessions) as session:
            await session.execute(
                insert_for(session, BotState).values(key=key, value="").on_conflict_do_nothing()
            )
            row = await session.scalar(
                select(BotState)
                .where(BotState.key == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            assert row is not None
            owner, _, until = row.value.partition(" ")
            if owner and owner != self.owner and _seconds(until) > now:
                return False
            row.value = f"{self.owner} {now + duration.total_seconds():.3f}"
        return True


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0
