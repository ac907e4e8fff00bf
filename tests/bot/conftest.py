"""Database fixtures: the real Alembic migrations on SQLite (always) and PostgreSQL (when
``ANIREC_TEST_POSTGRES_URL`` is set), and one rolled-back transaction per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.db.engine import create_engine
from bot.db.migrate import downgrade, upgrade
from tests.backends import POSTGRES_URL, backends


@pytest.fixture(scope="session", params=backends())
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the head revision, once per backend and session."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'anirec.db'}"
    else:
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        asyncio.run(downgrade(url))
    asyncio.run(upgrade(url))
    return url


@pytest.fixture
def backend(migrated_url: str) -> str:
    return "sqlite" if migrated_url.startswith("sqlite") else "postgresql"


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_url, poolclass=pool.NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction per test, rolled back at the end: tests never see each other's rows."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions inside the test's transaction; a service's commit releases a SAVEPOINT."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def sqlite_file_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
