"""One MAL request budget for every bot process on the database (MAL's rate limit is per client
id, not per process): the ``shared_budgets`` row holds the deployment's next free start slot and
the end of any ``Retry-After`` pause, as Unix times.

A process reserves its start slots ``batch`` at a time with one ``UPDATE … RETURNING`` (the
row's lock orders concurrent bookings on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the
slots of all processes never overlap: together they start at most ``requests_per_second``
requests a second. A slot more than one interval late is dropped unused (spending it late would
crowd the next process's slot). It plugs into :class:`common.mal.ratelimit.RateLimiter` as its
``budget``. Processes on different hosts rely on their clocks agreeing (NTP) to well under one
interval.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import SharedBudget
from bot.db.upsert import insert_for

log = logging.getLogger(__name__)
WARN_EVERY = 60.0


class DatabaseBudget:
    """A :class:`~common.mal.ratelimit.SharedBudget` kept in the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        requests_per_second: float,
        *,
        name: str = "mal",
        batch: int = 1,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("a shared budget needs a rate (requests_per_second > 0)")
        self._sessions = sessions
        self.name = name
        self.interval = 1.0 / requests_per_second
        self.batch = max(1, batch)
        self._slots: deque[float] = deque()
        self._lock: asyncio.Lock | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._warned_at = float("-inf")
        self._row_ready = False
        self.reserved = 0  # slots booked from the database (a /metrics figure)

    async def reserve(self) -> float:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.time()
            while self._slots and self._slots[0] < now - self.interval:
                self._slots.popleft()
            if not self._slots:
                try:
                    self._slots.extend(await self._book(self.batch))
                except Exception as exc:
                    # The database is down: MAL requests go on, paced by this process alone.
                    self._warn(
                        f"cannot book MAL request slots ({type(exc).__name__}); pacing locally"
                    )
                    return now
            return self._slots.popleft()

    async def _book(self, count: int) -> list[float]:
        async with write_session(self._sessions) as session:
            await self._ensure_row(session)
            start = _greatest(session)(time.time(), SharedBudget.next_slot, SharedBudget.not_before)
            # One atomic UPDATE … RETURNING: the row's lock (PostgreSQL) or the write lock
            # (SQLite) orders the processes' bookings; SET sees the row before the update.
            end = (
                await session.execute(
                    update(SharedBudget)
                    .where(SharedBudget.name == self.name)
                    .values(next_slot=start + count * self.interval)
                    .returning(SharedBudget.next_slot)
                )
            ).scalar_one_or_none()
        if end is None:  # the row was deleted under us: made again on the next booking
            self._row_ready = False
            raise LookupError(f"no {self.name!r} budget row")
        self._row_ready = True
        self.reserved += count
        first = end - count * self.interval
        return [first + i * self.interval for i in range(count)]

    async def _ensure_row(self, session: AsyncSession) -> None:
        if self._row_ready:
            return
        await session.execute(
            insert_for(session, SharedBudget)
            .values(name=self.name, next_slot=0.0, not_before=0.0)
            .on_conflict_do_nothing()
        )

    def defer(self, seconds: float) -> None:
        until = time.time() + seconds
        self._slots = deque(s for s in self._slots if s >= until)
        task = asyncio.get_running_loop().create_task(self._defer(until))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _defer(self, until: float) -> None:
        try:
            async with write_session(self._sessions) as session:
                await self._ensure_row(session)
                await session.execute(
                    update(SharedBudget)
                    .where(SharedBudget.name == self.name)
                    .values(not_before=_greatest(session)(SharedBudget.not_before, until))
                )
        except Exception as exc:
            self._warn(f"cannot share MAL's Retry-After ({type(exc).__name__})")

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            log.warning("%s", message)


def _greatest(session: AsyncSession) -> Any:
    """SQL's largest-of-arguments: ``greatest`` on PostgreSQL, the scalar ``max`` on SQLite."""
    return func.greatest if session.get_bind().dialect.name == "postgresql" else func.max
