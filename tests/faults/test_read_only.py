"""A database refusing writes: PostgreSQL's ``default_transaction_read_only`` (what a replica
or a database an operator froze answers) and a full SQLite database. Stored settings are still
read, a write gets the short message, and the log has one clear line however many fail."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.db.engine import create_engine, session_factory, write_session
from bot.db.errors import FULL, READ_ONLY, reset_log, storage_problem
from bot.db.migrate import upgrade
from bot.db.models import BotState
from bot.error_policy import STORAGE_MESSAGES, user_message
from bot.services.guilds import GuildSettingsService
from bot.services.invalidation import asyncpg_dsn
from tests.shared_state.dbs import POSTGRES_URL


async def set_read_only(url: str, on: bool) -> None:
    """From another database of the server (a read-only one could not undo it)."""
    assert POSTGRES_URL is not None
    name = make_url(url).database
    admin = await asyncpg.connect(asyncpg_dsn(POSTGRES_URL))
    try:
        change = "SET default_transaction_read_only = on" if on else "RESET ALL"
        await admin.execute(f'ALTER DATABASE "{name}" {change}')
    finally:
        await admin.close()


@pytest.mark.postgres
async def test_writes_refused_reads_go_on(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    writer = create_engine(pg_url)
    await GuildSettingsService(session_factory(writer)).update(5, default_count=7)
    await writer.dispose()
    await set_read_only(pg_url, True)
    engine = create_engine(pg_url)  # new sessions: read-only
    reset_log()
    caplog.set_level(logging.INFO)
    try:
        guilds = GuildSettingsService(session_factory(engine))
        assert (await guilds.get(5)).default_count == 7  # what is stored still answers
        for count in (3, 4, 5):
            with pytest.raises(Exception, match="read-only transaction") as caught:
                await guilds.update(5, default_count=count)
            assert storage_problem(caught.value) == READ_ONLY
            assert user_message(caught.value) == STORAGE_MESSAGES[READ_ONLY]
        assert caplog.text.count("database refuses writes") == 1
    finally:
        await engine.dispose()
        await set_read_only(pg_url, False)


async def test_a_full_database_gets_its_own_short_message(tmp_path: Path) -> None:
    """SQLite's size cap (``max_page_count``) fails a growing write with SQLITE_FULL, the error
    a full disk gives; what was stored before still reads."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'full.db'}"
    await upgrade(url)
    engine = create_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def capped(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    sessions = session_factory(engine)
    try:
        guilds = GuildSettingsService(sessions)
        with pytest.raises(Exception, match="full") as caught:
            async with write_session(sessions) as session:  # a big list's worth of rows
                session.add_all(BotState(key=f"k{i}", value="x" * 2000) for i in range(400))
        assert storage_problem(caught.value) == FULL
        assert user_message(caught.value) == STORAGE_MESSAGES[FULL]
        assert (await guilds.get(5)).default_count == 10  # reads go on
    finally:
        await engine.dispose()
