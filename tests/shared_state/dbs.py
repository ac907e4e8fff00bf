"""Databases that several engines (standing in for several bot processes) share for real: a
SQLite file, and a private PostgreSQL database created on ``ANIREC_TEST_POSTGRES_URL``'s server
and dropped afterwards (the shared test database is migrated up and down by other tests)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db.engine import create_engine
from bot.db.migrate import upgrade
from bot.services.invalidation import asyncpg_dsn
from tests.backends import POSTGRES_URL

TABLES = ("member_cooldowns", "shared_budgets", "guild_settings", "linked_accounts")


async def _admin(sql: str) -> None:
    assert POSTGRES_URL is not None
    connection = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def private_postgres() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of its own; dropped at the end."""
    assert POSTGRES_URL is not None
    name = f"anirec_t14_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(directory: Path) -> str:
    url = f"sqlite+aiosqlite:///{directory / 'shared.db'}"
    asyncio.run(upgrade(url))
    return url


async def empty(url: str) -> None:
    """Delete every row a test of this package writes."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for table in TABLES:
                await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await engine.dispose()
