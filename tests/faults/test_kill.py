"""``kill -9`` of a bot process mid-sync and mid-``/link``: a subprocess doing a real sync
against a fake MAL that stalls on the list's second page is killed with SIGKILL. The stored list
is the old one, whole; the dead process's lease is taken over once it expires; the member's
next command works."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import create_engine, session_factory
from bot.db.models import LinkedAccount, ListEntry
from bot.services.catalog import CatalogService
from bot.services.leases import AccountLeases
from bot.services.sync import SyncService
from common.mal import MalClient
from fakes.mal import FakeMal

ROOT = Path(__file__).resolve().parents[2]
USER = 77
STALL_SECONDS = 4.0
OLD = [(i, 7) for i in range(1, 11)]  # what is stored before
NEW = [(i, 8) for i in range(1, 1501)]  # two pages at MAL's 1,000 a page


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[tuple[FakeMal, async_sessionmaker[AsyncSession]]]:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    async with FakeMal.running(lists={"member": OLD, "other": NEW}) as fake:
        async with MalClient(fake.base_url, "id", requests_per_second=0) as mal:
            await SyncService(sessions, mal, CatalogService(sessions)).link(USER, "member")
        fake.add_user("member", NEW)  # the list grew on MAL since
        yield fake, sessions
    await engine.dispose()


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, int]]:
    async with sessions() as session:
        rows = await session.execute(
            select(ListEntry.anime_id, ListEntry.score)
            .where(ListEntry.discord_user_id == USER)
            .order_by(ListEntry.anime_id)
        )
        return [(a, s) for a, s in rows]


async def account(sessions: async_sessionmaker[AsyncSession]) -> LinkedAccount:
    async with sessions() as session:
        row = await session.scalar(
            select(LinkedAccount)
            .where(LinkedAccount.discord_user_id == USER)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row


async def kill_mid_list(fake: FakeMal, db_url: str, *args: str) -> None:
    """Run the child; SIGKILL it while MAL stalls on the second page of the list."""
    # Long enough to be killed in (a poll away), short enough not to hold the fake's shutdown.
    fake.inject("slow", delay=STALL_SECONDS, match="offset=1000")
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.faults.child_sync", db_url, fake.base_url, *args,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(300):  # bounded (15 s): until the child is stuck mid-list
            if fake.requests_to("/animelist") and any(
                r.query.get("offset") == "1000" for r in fake.requests_to("/animelist")
            ):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the child never reached the list's second page")
        os.kill(child.pid, signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), 10) == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    fake.clear_faults()


async def test_kill_9_mid_refresh(
    world: tuple[FakeMal, async_sessionmaker[AsyncSession]], db_url: str
) -> None:
    fake, sessions = world
    await kill_mid_list(fake, db_url, "refresh", str(USER))
    assert await stored(sessions) == OLD  # the old list, whole
    held = await account(sessions)
    assert held.lease_owner == "child" and held.lease_until is not None
    assert held.lease_until > datetime.now(UTC)

    async with MalClient(fake.base_url, "id", requests_per_second=0) as mal:
        leases = AccountLeases(sessions, owner="survivor")
        survivor = SyncService(sessions, mal, CatalogService(sessions), leases=leases)
        assert (await survivor.refresh_due(timedelta(0), None)).checked == 0  # still leased
        wait = (held.lease_until - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, wait) + 0.1)  # the dead process never comes back
        report = await survivor.refresh_due(timedelta(0), None)
        assert report.checked == 1 and report.synced == 1, report
        assert await stored(sessions) == NEW  # the new list, whole
        assert (await account(sessions)).lease_owner is None
        again = await survivor.sync(USER, force=True)  # the member's next /refresh
        assert again.stats.entries == len(NEW)


async def test_kill_9_mid_link(
    world: tuple[FakeMal, async_sessionmaker[AsyncSession]], db_url: str
) -> None:
    fake, sessions = world
    await kill_mid_list(fake, db_url, "link", str(USER), "other")
    assert await stored(sessions) == OLD  # still the old link's list, whole
    assert (await account(sessions)).mal_username == "member"
    async with MalClient(fake.base_url, "id", requests_per_second=0) as mal:
        outcome = await SyncService(sessions, mal, CatalogService(sessions)).link(USER, "other")
    assert outcome.stats.entries == len(NEW) and await stored(sessions) == NEW
