"""Engine and session factory: SQLite (aiosqlite, WAL) by default, PostgreSQL via asyncpg."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 5000
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 10
SQLITE_LOCK_ATTEMPTS = 3
"""A writer waits for SQLite's lock up to this many busy timeouts before giving up."""
WRITE_OPTION = "anirec_write"
"""Connection execution option marking a transaction that will write (SQLite: BEGIN IMMEDIATE)."""


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL (``None`` for other backends and in-memory databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str | URL, *, foreign_keys: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; for SQLite it creates the file's directory and sets pragmas.

    SQLite gets WAL (readers do not block the writer), a busy timeout (writers wait instead of
    failing), enforced foreign keys (so deleting an account cascades to its entries), and
    SQLAlchemy-controlled ``BEGIN`` so that SAVEPOINTs and transactional DDL work (the sqlite3
    driver's legacy transaction mode breaks both; see SQLAlchemy's SQLite dialect notes), with
    ``BEGIN IMMEDIATE`` for :func:`write_session` so that concurrent writers queue instead of
    failing.
    """
    parsed = make_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() != "sqlite":
        # A pooled connection to a PostgreSQL that restarted is dead: test it on checkout
        # (one round trip) so the first command after a restart does not fail on it.
        kwargs.setdefault("pool_pre_ping", True)
        # Room for a burst of commands: past pool_size, connections are opened and closed
        # again per checkout (a new PostgreSQL connection, TLS attempt included, each), which
        # a 500-member burst of /recommend did hundreds of times. 3 processes × 20 stay well
        # under PostgreSQL's default 100 connections.
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", PG_POOL_SIZE)
            kwargs.setdefault("max_overflow", PG_MAX_OVERFLOW)
    engine = _create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine, wal=path is not None, foreign_keys=foreign_keys)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, wal: bool, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers (write_session) take the write lock up front, waiting up to busy_timeout: a
        # deferred transaction that reads and then writes fails at once with "database is
        # locked" when another connection wrote in between. Readers stay deferred, so under
        # WAL they never wait for a writer.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        if not immediate:
            connection.exec_driver_sql("BEGIN")
            return
        # The busy timeout's wait runs in aiosqlite's thread; a writer that held the lock
        # longer (a long import, a backup) gets a few more such waits before we give up.
        for attempt in range(1, SQLITE_LOCK_ATTEMPTS + 1):
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == SQLITE_LOCK_ATTEMPTS:
                    raise
                log.warning("SQLite is locked by another writer; waiting again (%d)", attempt)


@asynccontextmanager
async def write_session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a transaction that commits on success; on SQLite it holds the write lock
    from the start (no failed lock upgrade mid-transaction)."""
    async with sessions() as session, session.begin():
        await session.connection(execution_options={WRITE_OPTION: True})
        yield session


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy loads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


ReadConnections = Callable[[], AbstractAsyncContextManager[AsyncConnection]]
"""``async with reads() as connection:``: a pooled connection for plain reads."""


def read_connections(sessions: async_sessionmaker[AsyncSession]) -> ReadConnections:
    """Connections of ``sessions``' engine for the reads every command makes (Core, no ORM
    session); on PostgreSQL in autocommit, so a read is its queries alone.

    Why: a session's checkout on PostgreSQL is a pre-ping, ``BEGIN``, the queries and a
    ``ROLLBACK``, each a round trip, plus the ORM's bookkeeping; under a burst of ``/recommend``
    that was a fifth of a bot process's CPU (README "Where the time went"). A read that needs
    one snapshot of several tables does not belong here. SQLite keeps its own deferred ``BEGIN``
    (:func:`create_engine`): a local read transaction costs nothing there."""
    engine = sessions.kw["bind"]
    if isinstance(engine, AsyncConnection):
        # Sessions bound to one connection (a test's transaction): read on it too.
        bound = engine

        @asynccontextmanager
        async def on_bound() -> AsyncIterator[AsyncConnection]:
            yield bound

        return on_bound
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the session factory is not bound to an async engine or connection")
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.connect
