"""PostgreSQL "restarted" under load, played by a loopback TCP proxy in front of the server
(it drops every connection and refuses new ones for a while; the shared server itself is never
restarted): commands during the outage each get the one short message, connections recover
(pool pre-ping), the settings listener comes back, and every acknowledged write is stored."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.db.engine import create_engine, session_factory
from bot.db.errors import storage_problem
from bot.db.models import GuildSettings
from bot.error_policy import STORAGE_MESSAGES, user_message
from bot.services.guilds import GuildSettingsService
from tests.faults.tcpproxy import TcpProxy

pytestmark = pytest.mark.postgres
WORKERS = 6
OUTAGE_SECONDS = 2.0


async def test_a_restart_under_load_loses_nothing_acknowledged(pg_url: str) -> None:
    target = make_url(pg_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    port = await proxy.start()
    via_proxy = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    engine = create_engine(via_proxy)
    guilds = GuildSettingsService(session_factory(engine))
    await guilds.listen(via_proxy)
    ids = itertools.count(1)
    acknowledged: set[int] = set()
    messages: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    after_restore: Counter[int] = Counter()
    stop, restored = asyncio.Event(), asyncio.Event()

    async def member(worker: int) -> None:
        while not stop.is_set():
            guild = next(ids)
            try:
                await guilds.update(guild, default_count=1 + guild % 25)  # a /config
            except Exception as exc:
                kinds[storage_problem(exc) or repr(exc)] += 1  # never an unexpected error
                messages[user_message(exc) or "?"] += 1
            else:
                acknowledged.add(guild)
                if restored.is_set():
                    after_restore[worker] += 1
            await asyncio.sleep(0.01)

    try:
        load = [asyncio.create_task(member(w)) for w in range(WORKERS)]
        await asyncio.sleep(0.7)
        await proxy.outage()
        await asyncio.sleep(OUTAGE_SECONDS)
        await proxy.restore()
        restored.set()
        for _ in range(200):  # bounded: until every member has been answered again
            if len(after_restore) == WORKERS and guilds.caching:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*load)
        assert set(kinds) == {"unreachable"}, kinds
        assert set(messages) == {STORAGE_MESSAGES["unreachable"]}, messages  # one short text
        assert len(after_restore) == WORKERS  # everyone's commands work again
        assert guilds.caching  # the LISTEN connection came back too

        # Idle pooled connections all died in a second outage: the first command after it
        # works (pre-ping replaces them) instead of failing on a dead connection.
        await asyncio.gather(*(guilds.update(next(ids), default_count=3) for _ in range(4)))
        await proxy.outage()
        await asyncio.sleep(0.2)
        await proxy.restore()
        assert (await guilds.update(10**9, default_count=2)).default_count == 2
    finally:
        stop.set()
        await guilds.close()
        await engine.dispose()
        await proxy.close()

    direct = create_engine(pg_url)
    try:
        async with session_factory(direct)() as session:
            stored = set((await session.scalars(select(GuildSettings.guild_id))).all())
    finally:
        await direct.dispose()
    assert acknowledged and acknowledged <= stored  # nothing acknowledged was lost
