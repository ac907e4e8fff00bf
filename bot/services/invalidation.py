"""Cross-process cache invalidation over PostgreSQL ``LISTEN``/``NOTIFY``.

One asyncpg connection per process listens on a channel; a writer sends ``pg_notify`` inside its
transaction, so PostgreSQL delivers the key to every listener exactly when the change commits
(and never for a rolled-back one). A cache may keep what it read only while :attr:`listening`
is true: when the connection is lost, notifications sent meanwhile are lost with it, so the
listener tells its caches to drop everything and read through until it has reconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)
RECONNECT_MIN, RECONNECT_MAX = 0.2, 10.0
PAUSE_AFTER_LOSS = 1.0
"""Seconds before listening again after a lost connection: a server that is dropping
connections (restart, ``pg_terminate_backend``) gets a moment, and a connection that keeps being
cut cannot spin a reconnect loop. Reads go through to the database meanwhile."""
APPLICATION_NAME = "anirec-listen"
"""How the listening connections show in ``pg_stat_activity``."""


def asyncpg_dsn(url: str | URL) -> str:
    """The plain ``postgresql://`` DSN asyncpg takes, from a SQLAlchemy URL."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class NotifyListener:
    """Listens on ``channel``; calls ``on_key(payload)`` per notification and ``on_reset()`` when
    notifications may have been missed (connection lost, or (re)connected)."""

    def __init__(
        self,
        url: str | URL,
        channel: str,
        on_key: Callable[[str], None],
        on_reset: Callable[[], None],
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self.channel = channel
        self._on_key = on_key
        self._on_reset = on_reset
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._lost: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._closing = False
        self.listening = False
        self.reconnects = 0

    async def start(self, *, wait: float = 5.0) -> None:
        """Connect in the background (retrying); waits up to ``wait`` s for the first LISTEN."""
        self._lost = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"listen {self.channel}")
        for _ in range(int(wait / 0.05)):
            if self.listening or self._task.done():
                return
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        self._closing = True
        for task in (self._task, self._watcher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._disconnect()

    async def _run(self) -> None:
        delay = RECONNECT_MIN
        assert self._lost is not None
        while not self._closing:
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                level = logging.DEBUG if delay > RECONNECT_MIN else logging.WARNING
                log.log(level, "cache invalidation: cannot listen (%s); reading through", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)
                continue
            delay = RECONNECT_MIN
            await self._lost.wait()
            self._lost.clear()
            self._set_listening(False)
            await self._disconnect()
            if not self._closing:
                log.warning("cache invalidation: lost the listener; reading through until back")
                await asyncio.sleep(PAUSE_AFTER_LOSS)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
        )
        connection.add_termination_listener(self._terminated)
        await connection.add_listener(self.channel, self._notified)
        self._connection = connection
        if self.reconnects:
            log.info("cache invalidation: listening again")
        self.reconnects += 1
        self._set_listening(True)
        # Listen errors (a broken socket that never closes) surface on the next query: poll.
        self._watcher = asyncio.create_task(self._watch(connection))

    async def _watch(self, connection: Any) -> None:
        while self._connection is connection and not self._closing:
            await asyncio.sleep(1.0)
            try:
                await asyncio.wait_for(connection.execute("SELECT 1"), timeout=5)
            except Exception:
                self._terminated(connection)
                return

    def _set_listening(self, listening: bool) -> None:
        # Either way the cache restarts empty: changes made while nobody listened are unknown.
        self._on_reset()
        self.listening = listening

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_key(payload)

    def _terminated(self, connection: Any) -> None:
        if connection is self._connection and self._lost is not None:
            self._connection = None
            self.listening = False
            self._on_reset()
            self._lost.set()
            with contextlib.suppress(Exception):
                connection.terminate()

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=2)
