"""The real bot on a PostgreSQL database of its own (what several processes share): a member's
``/refresh`` cool-down is held in the database (not in this process's memory, which another
process would not see), and a ``/config`` change made by another process reaches this one's
cache."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select

from bot.db.engine import create_engine, session_factory, write_session
from bot.db.models import MemberCooldown
from bot.services.guilds import GuildSettingsService
from tests.e2e.conftest import BotFactory, World
from tests.shared_state.dbs import POSTGRES_URL, private_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    if POSTGRES_URL is None:
        pytest.skip("ANIREC_TEST_POSTGRES_URL is not set")
    with private_postgres() as url:
        yield url


@pytest.fixture
def database_url(postgres_database: str) -> str:
    return postgres_database


async def test_cooldowns_and_settings_hold_across_processes(
    world: World, start_bot: BotFactory
) -> None:
    bot = await start_bot(mal_requests_per_second=50)
    assert bot.services.shared_cooldowns is not None
    assert bot.services.guilds.caching and bot.services.mal.limiter.budget is not None
    linked = await world.slash(world.alice, "link", username="alice_mal")
    assert "entries" in linked.text, linked.text
    refreshed = await world.slash(world.alice, "refresh")
    assert "Slow down" not in refreshed.text, refreshed.text
    again = await world.slash(world.alice, "refresh")
    assert "Slow down" in again.text, again.text

    # Another process: its own engine and services on the same database.
    other_engine = create_engine(world.settings.database_url)
    other_sessions = session_factory(other_engine)
    other = GuildSettingsService(other_sessions)
    try:
        async with other_sessions() as session:
            uses = await session.scalar(
                select(MemberCooldown.uses).where(
                    MemberCooldown.discord_user_id == world.alice.id,
                    MemberCooldown.command == "refresh",
                )
            )
        assert uses == 2  # what every process reads
        async with write_session(other_sessions) as session:  # the window ends for everyone
            await session.execute(delete(MemberCooldown))
        after = await world.slash(world.alice, "refresh")
        assert "Slow down" not in after.text, "an in-memory cool-down would still refuse"

        await bot.services.guilds.get(world.guild.id)  # cached by the bot
        await other.listen(world.settings.database_url)
        await other.update(world.guild.id, default_count=3)
        for _ in range(200):  # bounded: the notification arrives asynchronously
            if (await bot.services.guilds.get(world.guild.id)).default_count == 3:
                break
            await asyncio.sleep(0.05)
        assert (await bot.services.guilds.get(world.guild.id)).default_count == 3
    finally:
        await other.close()
        await other_engine.dispose()
