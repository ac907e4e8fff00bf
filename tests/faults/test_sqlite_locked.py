"""SQLite "database is locked" never reaches a member: a writer waits out another connection's
write lock (busy timeout, then retried), and one that cannot gets the short busy message."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.db import engine as engine_module
from bot.db.engine import create_engine, session_factory
from bot.error_policy import STORAGE_MESSAGES, user_message
from bot.services.guilds import GuildSettingsService
from tests.shared_state.dbs import sqlite_url

Hold = Callable[[float], threading.Event]
BUSY_MS = 300  # SQLite's wait per attempt; SQLITE_LOCK_ATTEMPTS of them before giving up


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", BUSY_MS)
    return sqlite_url(tmp_path)


@pytest.fixture
def hold_lock(url: str) -> Iterator[Hold]:
    """``hold(seconds)``: another connection (another program) takes the write lock."""
    threads: list[threading.Thread] = []

    def hold(seconds: float) -> threading.Event:
        taken = threading.Event()

        def run() -> None:
            connection = sqlite3.connect(make_url(url).database, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            taken.set()
            threading.Event().wait(seconds)
            connection.execute("ROLLBACK")
            connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        threads.append(thread)
        taken.wait(5)
        return taken

    yield hold
    for thread in threads:
        thread.join(10)


async def test_a_writer_waits_out_a_lock_longer_than_one_busy_timeout(
    url: str, hold_lock: Hold
) -> None:
    engine = create_engine(url)
    try:
        guilds = GuildSettingsService(session_factory(engine))
        hold_lock(BUSY_MS / 1000 * 2)  # longer than one busy timeout, shorter than all
        config = await guilds.update(1, default_count=4)
        assert config.default_count == 4
    finally:
        await engine.dispose()


async def test_a_lock_held_too_long_gives_the_member_the_short_busy_message(
    url: str, hold_lock: Hold
) -> None:
    engine = create_engine(url)
    try:
        guilds = GuildSettingsService(session_factory(engine))
        attempts = engine_module.SQLITE_LOCK_ATTEMPTS
        hold_lock(BUSY_MS / 1000 * attempts + 1.5)
        with pytest.raises(OperationalError, match="locked") as caught:
            await guilds.update(1, default_count=4)
        message = user_message(caught.value)
        assert message == STORAGE_MESSAGES["busy"] and "locked" not in message
        await asyncio.sleep(1.6)  # the other program lets go: the next command works
        assert (await guilds.update(1, default_count=5)).default_count == 5
    finally:
        await engine.dispose()
