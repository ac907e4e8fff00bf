"""A member's stored list changed (a background refresh, a re-sync, an import): tell every bot
process, so the one that keeps the member's last answer computes it again before it is asked.

Without it a refreshed list makes the member's next ``/recommend`` a cache miss that runs the
model while they wait (and a burst of such members pays the model's whole cost at once, README
"Load benchmark"). On SQLite one process owns the database: subscribers are called once the
write has committed. On PostgreSQL the writer sends ``pg_notify`` inside its transaction, so
every process's listener (:mod:`bot.services.invalidation`) hears it exactly when the list is
committed, and never for a rolled-back one; while this process's listener is down its own
changes are delivered directly. A lost notification only costs a warm-up: nothing is stale,
because an answer is keyed by the profile it was computed from (:mod:`bot.services.reccache`).
Changed marks (``FeedbackService.on_change``) go to :meth:`ListChanges.committed`: this process
only, the one that took the mark and serves the member.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.invalidation import NotifyListener

log = logging.getLogger(__name__)
CHANNEL = "anirec_list_changed"


class ListChanges:
    """Announces members whose stored list changed to :attr:`subscribers` (``f(member)``) of
    every process."""

    def __init__(self) -> None:
        self.subscribers: list[Callable[[int], None]] = []
        self._listener: NotifyListener | None = None

    @property
    def shared(self) -> bool:
        """Announced through PostgreSQL (and heard from other processes) right now."""
        return self._listener is not None and self._listener.listening

    async def listen(self, url: str) -> None:
        """Hear the changes every process on this PostgreSQL database announces."""
        self._listener = NotifyListener(url, CHANNEL, self._heard, lambda: None)
        await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    async def announce(self, session: AsyncSession, member: int) -> bool:
        """In the writer's transaction: have the change delivered to every process when it
        commits. ``False`` when nobody listens through the database: call :meth:`committed`
        after the commit instead."""
        if not self.shared:
            return False
        await session.execute(
            text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": str(member)}
        )
        return True

    def committed(self, member: int) -> None:
        """After the commit of a change :meth:`announce` did not send: this process's
        subscribers only (SQLite's one process, or a listener that is down)."""
        self._deliver(member)

    def _heard(self, key: str) -> None:
        try:
            member = int(key)
        except ValueError:
            log.warning("list changes: ignored a notification that is not a member id")
            return
        self._deliver(member)

    def _deliver(self, member: int) -> None:
        for subscriber in self.subscribers:
            try:
                subscriber(member)
            except Exception:  # a warm-up is optional: the writer must not fail for it
                log.exception("list changes: a subscriber failed for member %d", member)
