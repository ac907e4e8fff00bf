"""A stored list is announced to every process (two engines on one database): on PostgreSQL
through ``LISTEN``/``NOTIFY`` when the write commits (never for a rolled-back one), on SQLite
to the one process that wrote it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, session_factory, write_session
from bot.services.catalog import CatalogService
from bot.services.imports import read_upload
from bot.services.listchanges import ListChanges
from bot.services.sync import SyncService

EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<myanimelist>
  <myinfo><user_name>dana</user_name></myinfo>
  <anime><series_animedb_id>1</series_animedb_id>
    <series_title><![CDATA[Cowboy Bebop]]></series_title>
    <my_score>9</my_score><my_status>Completed</my_status></anime>
</myanimelist>
"""


async def heard_within(heard: list[int], count: int, seconds: float = 10.0) -> bool:
    """Notifications arrive asynchronously: wait (bounded) until ``count`` were heard."""
    for _ in range(int(seconds / 0.05)):
        if len(heard) >= count:
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
async def processes(
    two: list[async_sessionmaker[AsyncSession]], db_url: str
) -> AsyncIterator[list[tuple[SyncService, list[int]]]]:
    """Two processes' sync services, each with its announcements and what it heard."""
    out = []
    changes = []
    for sessions in two:
        change = ListChanges()
        heard: list[int] = []
        change.subscribers.append(heard.append)
        if db_url.startswith("postgresql"):
            await change.listen(db_url)
            assert change.shared
        changes.append(change)
        out.append((SyncService(sessions, None, CatalogService(sessions), changes=change), heard))
    yield out
    for change in changes:
        await change.close()


async def test_a_stored_list_is_heard_by_every_process(
    processes: list[tuple[SyncService, list[int]]], db_url: str
) -> None:
    (writer, heard_here), (_, heard_there) = processes
    await writer.import_list(15, read_upload(EXPORT, "animelist.xml"))
    assert await heard_within(heard_here, 1)
    if db_url.startswith("postgresql"):
        assert await heard_within(heard_there, 1)
        assert heard_here == heard_there == [15]
    else:  # SQLite: one process owns the database; the other hears nothing
        await asyncio.sleep(0.2)
        assert heard_here == [15] and heard_there == []


@pytest.mark.postgres
async def test_a_rolled_back_change_is_not_announced(pg_url: str) -> None:
    """Announced inside the writer's transaction (PostgreSQL): delivered at commit, never
    for a rolled-back write."""
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    writer, listener = ListChanges(), ListChanges()
    heard_here: list[int] = []
    heard_there: list[int] = []
    writer.subscribers.append(heard_here.append)
    listener.subscribers.append(heard_there.append)
    for change in (writer, listener):
        await change.listen(pg_url)

    async def failed_write() -> None:
        async with write_session(sessions) as session:
            assert await writer.announce(session, 16)
            raise RuntimeError("failed write")

    try:
        with pytest.raises(RuntimeError, match="failed write"):
            await failed_write()
        async with write_session(sessions) as session:
            assert await writer.announce(session, 17)
        assert await heard_within(heard_there, 1) and await heard_within(heard_here, 1)
        assert heard_here == heard_there == [17]
    finally:
        for change in (writer, listener):
            await change.close()
        await engine.dispose()


def test_a_subscriber_that_fails_does_not_stop_the_others() -> None:
    change = ListChanges()
    heard: list[int] = []

    def broken(_member: int) -> None:
        raise ValueError("broken subscriber")

    change.subscribers += [broken, heard.append]
    change.committed(3)
    assert heard == [3]
    assert not change.shared  # nobody listens through a database
