"""Storage: the migrations build exactly the models' schema, go up and down, and the engine's
SQLite pragmas and cascades hold."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.db import Base, LinkedAccount, ListEntry
from bot.db.engine import (
    create_engine,
    read_connections,
    session_factory,
    sqlite_path,
    write_session,
)
from bot.db.migrate import downgrade, upgrade
from bot.db.url import DatabaseSettings
from tests.backends import POSTGRES_URL

TABLES = {
    "anime",
    "bot_state",
    "guild_settings",
    "linked_accounts",
    "list_entries",
    "member_cooldowns",
    "member_feedback",
    "shared_budgets",
    "unmapped_entries",
}


def database_url(url_kind: str, sqlite_file_url: str) -> str:
    """The database of a ``url_kind`` parameter (PostgreSQL skips the test when none is set)."""
    if url_kind == "sqlite":
        return sqlite_file_url
    if POSTGRES_URL is None:
        pytest.skip("ANIREC_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


async def test_migrated_schema_matches_the_models(connection: AsyncConnection) -> None:
    def diff(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    assert await connection.run_sync(diff) == []


@pytest.mark.parametrize(
    "url_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def test_upgrade_downgrade_upgrade(url_kind: str, sqlite_file_url: str) -> None:
    url = database_url(url_kind, sqlite_file_url)

    async def tables() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names - {"alembic_version"}

    try:
        await downgrade(url)
        assert not (await tables()) & TABLES
        await upgrade(url)
        assert await tables() >= TABLES
        await downgrade(url)
        assert not (await tables()) & TABLES
    finally:
        await upgrade(url)  # leave the shared PostgreSQL database migrated


async def test_sqlite_pragmas(sqlite_file_url: str) -> None:
    engine = create_engine(sqlite_file_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        await engine.dispose()
    assert sqlite_path(sqlite_file_url) is not None and sqlite_path(sqlite_file_url).exists()


def test_engine_creates_the_sqlite_directory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'x.db'}"
    engine = create_engine(url)
    assert (tmp_path / "nested" / "dir").is_dir()
    assert engine.url.get_backend_name() == "sqlite"
    assert sqlite_path("postgresql+asyncpg://u:p@h/db") is None


def test_database_url_needs_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DISCORD_TOKEN", "MAL_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    assert DatabaseSettings(_env_file=None).database_url == "sqlite+aiosqlite:///elsewhere.db"  # type: ignore[call-arg]
    monkeypatch.delenv("DATABASE_URL")
    assert DatabaseSettings(_env_file=None).database_url.startswith("sqlite+aiosqlite:///")  # type: ignore[call-arg]


async def test_deleting_an_account_deletes_its_entries(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        session.add(LinkedAccount(discord_user_id=2**62, mal_username="someone"))
        await session.flush()
        session.add_all(
            ListEntry(discord_user_id=2**62, anime_id=i, status="completed", score=i % 11)
            for i in range(1, 6)
        )
    async with sessions() as session, session.begin():
        count = select(func.count()).select_from(ListEntry)
        assert await session.scalar(count) == 5
        await session.execute(
            text("DELETE FROM linked_accounts WHERE discord_user_id = :u"), {"u": 2**62}
        )
        assert await session.scalar(count) == 0


async def test_datetimes_come_back_aware_and_utc(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) + timedelta(microseconds=7)
    async with sessions() as session, session.begin():
        session.add(LinkedAccount(discord_user_id=1, mal_username="a", last_sync_at=moment))
    async with sessions() as session:
        account = await session.scalar(
            select(LinkedAccount)
            .where(LinkedAccount.discord_user_id == 1)
            .execution_options(populate_existing=True)
        )
        assert account is not None and account.last_sync_at == moment
        assert account.last_sync_at.tzinfo is not None
    with pytest.raises(Exception, match="naive"):
        async with sessions() as session, session.begin():
            session.add(
                LinkedAccount(
                    discord_user_id=3, mal_username="b", last_sync_at=datetime(2026, 1, 1)
                )
            )


async def test_rows_from_other_tests_are_invisible(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LinkedAccount)) == 0


async def test_writers_queue_on_sqlite_and_readers_do_not_lock(sqlite_file_url: str) -> None:
    await upgrade(sqlite_file_url)
    engine = create_engine(sqlite_file_url)
    begins: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            begins.append(statement)

    sessions = session_factory(engine)
    try:
        async with write_session(sessions) as session:
            session.add(LinkedAccount(discord_user_id=1, mal_username="counter", source="0"))

        async def bump() -> None:
            # Read, then write after a pause: deferred transactions would fail here with
            # "database is locked" as soon as another one committed in between.
            async with write_session(sessions) as session:
                account = await session.get(LinkedAccount, 1)
                assert account is not None
                await asyncio.sleep(0.001)
                account.source = str(int(account.source) + 1)

        await asyncio.gather(*(bump() for _ in range(20)))
        async with sessions() as session:
            account = await session.get(LinkedAccount, 1)
            assert account is not None and account.source == "20"
        assert "BEGIN" in begins and begins.count("BEGIN IMMEDIATE") == 21
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "url_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def test_read_connections_see_commits_and_run_without_a_transaction_on_postgresql(
    url_kind: str, sqlite_file_url: str
) -> None:
    """The reads every command makes (``read_connections``): they see what a write committed,
    and on PostgreSQL each statement is its own transaction (autocommit: no BEGIN/ROLLBACK
    round trips), so ``now()`` moves between two statements of one read."""
    url = database_url(url_kind, sqlite_file_url)
    if url_kind == "sqlite":
        await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    reads = read_connections(sessions)
    user_id = 9_100_000_000 + (1 if url_kind == "sqlite" else 2)
    try:
        async with write_session(sessions) as session:
            session.add(
                LinkedAccount(
                    discord_user_id=user_id,
                    mal_username="reader",
                    linked_at=datetime.now(UTC),
                )
            )
        async with reads() as connection:
            name = await connection.scalar(
                select(LinkedAccount.mal_username).where(LinkedAccount.discord_user_id == user_id)
            )
            assert name == "reader"
            if url_kind == "postgresql":
                first = await connection.scalar(text("SELECT now()"))
                await connection.execute(text("SELECT pg_sleep(0.01)"))
                second = await connection.scalar(text("SELECT now()"))
                assert second > first, "one transaction around the whole read"
    finally:
        async with write_session(sessions) as session:
            await session.execute(
                LinkedAccount.__table__.delete().where(LinkedAccount.discord_user_id == user_id)
            )
        await engine.dispose()
