"""Guild settings with two processes (two engines, two services) on one PostgreSQL: a ``/config``
change in one is seen by the other (LISTEN/NOTIFY), also while its listener is down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from bot.db.engine import create_engine, session_factory
from bot.services.guilds import GuildConfig, GuildSettingsService
from bot.services.invalidation import APPLICATION_NAME, asyncpg_dsn

GUILD = 4242
pytestmark = pytest.mark.postgres


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> bool:
    """Poll ``check`` until true (notifications arrive asynchronously); bounded."""
    for _ in range(int(seconds / 0.05)):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
async def pair(pg_url: str) -> AsyncIterator[tuple[GuildSettingsService, GuildSettingsService]]:
    engines = [create_engine(pg_url), create_engine(pg_url)]
    services = [GuildSettingsService(session_factory(e)) for e in engines]
    for service in services:
        await service.listen(pg_url)
        assert service.caching
    yield services[0], services[1]
    for service in services:
        await service.close()
    for engine in engines:
        await engine.dispose()


async def test_a_change_in_one_process_reaches_the_others_cache(
    pair: tuple[GuildSettingsService, GuildSettingsService],
) -> None:
    one, two = pair
    assert (await two.get(GUILD)).allow_nsfw is False  # now cached in the second process
    await one.update(GUILD, allow_nsfw=True, default_count=5)

    async def seen() -> bool:
        return await two.get(GUILD) == GuildConfig(5, True, True)

    assert await eventually(seen)
    await two.update(GUILD, default_count=7)

    async def seen_back() -> bool:
        return (await one.get(GUILD)).default_count == 7

    assert await eventually(seen_back)


async def test_without_its_listener_a_process_reads_through(
    pair: tuple[GuildSettingsService, GuildSettingsService], pg_url: str
) -> None:
    one, two = pair
    await two.get(GUILD)
    admin = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        # Kill every listening connection on this database: the second process's among them.
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = $1 AND datname = current_database()",
            APPLICATION_NAME,
        )
    finally:
        await admin.close()

    async def lost() -> bool:
        return not two.caching

    assert await eventually(lost)
    await one.update(GUILD, allow_nsfw=True)  # its NOTIFY reaches nobody
    assert (await two.get(GUILD)).allow_nsfw is True  # read through, at once

    async def back() -> bool:
        return two.caching

    assert await eventually(back)  # reconnected: caching again, and still right
    assert (await two.get(GUILD)).allow_nsfw is True
    await one.update(GUILD, allow_nsfw=False)

    async def seen() -> bool:
        return (await two.get(GUILD)).allow_nsfw is False

    assert await eventually(seen)
