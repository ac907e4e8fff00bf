"""Refresh leases with two engines on one database (two bot processes): no account is handed to
both, no list is fetched twice, and an expired lease (a dead process's) is taken over."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_session
from bot.db.models import LinkedAccount
from bot.services.catalog import CatalogService
from bot.services.leases import AccountLeases
from bot.services.sync import SyncService
from common.mal import MalClient
from fakes.mal import FakeMal

ACCOUNTS = 40
DUE = timedelta(hours=1)


async def _add_accounts(sessions: async_sessionmaker[AsyncSession], n: int) -> None:
    old = datetime.now(UTC) - timedelta(days=2)
    async with write_session(sessions) as session:
        session.add_all(
            LinkedAccount(discord_user_id=u, mal_username=f"user{u}", last_checked_at=old)
            for u in range(1, n + 1)
        )


async def test_two_processes_never_claim_the_same_account(
    two: list[async_sessionmaker[AsyncSession]],
) -> None:
    await _add_accounts(two[0], ACCOUNTS)
    leases = [AccountLeases(s, owner=f"p{i}", batch=3) for i, s in enumerate(two)]
    claimed: list[list[int]] = [[], []]

    async def keep_claiming(i: int) -> None:
        while batch := await leases[i].claim(DUE, 3, ("mal",)):
            claimed[i].extend(batch)

    await asyncio.gather(keep_claiming(0), keep_claiming(1))
    both = claimed[0] + claimed[1]
    assert sorted(both) == list(range(1, ACCOUNTS + 1))  # each exactly once


async def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(
    two: list[async_sessionmaker[AsyncSession]],
) -> None:
    await _add_accounts(two[0], 4)
    dead = AccountLeases(two[0], owner="dead", duration=timedelta(seconds=0.5))
    alive = AccountLeases(two[1], owner="alive")
    taken = await dead.claim(DUE, 4, ("mal",))
    assert sorted(taken) == [1, 2, 3, 4]
    assert await alive.claim(DUE, 4, ("mal",)) == []
    await asyncio.sleep(0.6)  # the dead process never releases; its leases run out
    assert sorted(await alive.claim(DUE, 4, ("mal",))) == [1, 2, 3, 4]
    await dead.release(taken)  # a late release by the old owner frees nothing of the new one's
    assert await dead.claim(DUE, 4, ("mal",)) == []


async def test_two_refreshing_processes_fetch_each_list_once(
    two: list[async_sessionmaker[AsyncSession]],
) -> None:
    lists = {f"user{u}": [(u, 7), (u + 100, 8)] for u in range(1, 13)}
    async with FakeMal.running(lists=lists) as fake:
        await _add_accounts(two[0], 12)
        clients = [MalClient(fake.base_url, "id", requests_per_second=0) for _ in two]
        services = [
            SyncService(s, m, CatalogService(s), leases=AccountLeases(s, owner=f"p{i}", batch=2))
            for i, (s, m) in enumerate(zip(two, clients, strict=True))
        ]
        try:
            reports = await asyncio.gather(*(s.refresh_due(DUE, None) for s in services))
        finally:
            for client in clients:
                await client.close()
        fetched = Counter(r.path for r in fake.requests_to("/animelist") if "fields" in r.query)
    assert sum(r.checked for r in reports) == 12
    # Each list: its fingerprint and the list, once (fetched by both processes it would be 4).
    assert len(fetched) == 12 and set(fetched.values()) == {2}


async def test_one_process_runs_a_deployment_wide_chore(
    two: list[async_sessionmaker[AsyncSession]],
) -> None:
    one, other = (AccountLeases(s, owner=f"p{i}") for i, s in enumerate(two))
    short = timedelta(seconds=0.5)
    won = await asyncio.gather(one.claim_task("catalog", short), other.claim_task("catalog", short))
    assert sorted(won) == [False, True]  # exactly one of them
    holder, waiting = (one, other) if won[0] else (other, one)
    assert await holder.claim_task("catalog", short)  # the holder keeps it by renewing
    assert not await waiting.claim_task("catalog", short)
    assert await waiting.claim_task("model-refresh", short)  # another chore is apart
    await asyncio.sleep(0.6)  # the holder stops renewing (it died)
    assert await waiting.claim_task("catalog", short)
    assert not await holder.claim_task("catalog", short)
