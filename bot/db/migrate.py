"""Apply the Alembic migrations from code (start-up, tests, the demo)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import pool

from bot.db.engine import create_engine

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["configure_logger"] = False
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate ``url`` up to ``revision`` (idempotent at head)."""
    await _run(url, revision, down=False)


async def downgrade(url: str, revision: str = "base") -> None:
    await _run(url, revision, down=True)


async def _run(url: str, revision: str, *, down: bool) -> None:
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up noise
    # Foreign keys off on SQLite: batch migrations recreate tables.
    engine = create_engine(url, foreign_keys=False, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:

            def run(sync_connection: object) -> None:
                config = alembic_config()
                config.attributes["connection"] = sync_connection
                (command.downgrade if down else command.upgrade)(config, revision)

            await connection.run_sync(run)
            await connection.commit()
    finally:
        await engine.dispose()
