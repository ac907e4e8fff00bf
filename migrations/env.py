"""Alembic environment (async): migrates ``DATABASE_URL`` or a connection handed in by a caller.

URL precedence: ``config.attributes["connection"]`` (a sync Connection, used by tests and by
the bot), then ``sqlalchemy.url`` set on the Config, then ``DATABASE_URL`` from the environment or
``.env`` (only that key is read, so migrating needs no secrets).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection

from bot.db.engine import create_engine
from bot.db.models import Base
from bot.db.url import database_url

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        # bot.db.engine makes SQLite DDL transactional (explicit BEGIN), so a failed
        # migration rolls back on SQLite too.
        transactional_ddl=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    # Foreign keys off on SQLite: batch mode recreates tables, which must not cascade deletes.
    engine = create_engine(_url(), foreign_keys=False, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
