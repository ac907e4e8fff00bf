"""One shared database per backend and session, emptied before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, session_factory
from tests.backends import backends
from tests.shared_state.dbs import POSTGRES_URL, empty, private_postgres, sqlite_url


@pytest.fixture(scope="session", params=backends())
def shared_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("shared"))
        return
    with private_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[str]:
    if POSTGRES_URL is None:
        pytest.skip("ANIREC_TEST_POSTGRES_URL is not set")
    with private_postgres() as url:
        yield url


@pytest.fixture
async def db_url(shared_db: str) -> str:
    await empty(shared_db)
    return shared_db


@pytest.fixture
async def pg_url(postgres_db: str) -> str:
    await empty(postgres_db)
    return postgres_db


@pytest.fixture
async def two(db_url: str) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    """Two engines on one database: two bot processes."""
    engines = [create_engine(db_url), create_engine(db_url)]
    yield [session_factory(e) for e in engines]
    for engine in engines:
        await engine.dispose()
