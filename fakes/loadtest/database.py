"""The load test's database: a private PostgreSQL database on ``ANIREC_TEST_POSTGRES_URL``'s
server (created, migrated, dropped at the end: the shared test database is left alone), or a
SQLite file."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.engine import make_url

from fakes.discord.stack import migrate, sqlite_url


def _dsn(url: str) -> str:
    """asyncpg's DSN for a SQLAlchemy ``postgresql+asyncpg://`` URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def load_database(postgres_url: str | None, workdir: Path) -> AsyncIterator[str]:
    """A migrated database URL for the bots: PostgreSQL when ``postgres_url`` is given."""
    if postgres_url is None:
        url = sqlite_url(workdir / "anirec.db")
        await migrate(url)
        yield url
        return
    name = f"anirec_load_{uuid.uuid4().hex[:10]}"
    await _admin(postgres_url, f'CREATE DATABASE "{name}"')
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        await migrate(url)
        yield url
    finally:
        await _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def describe(url: str) -> str:
    """The URL without its password, for the report."""
    return make_url(url).render_as_string(hide_password=True)
