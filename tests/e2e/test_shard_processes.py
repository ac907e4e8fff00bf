"""Two ``python -m bot`` processes with disjoint shards on one fake Discord and one database
(PostgreSQL when ``ANIREC_TEST_POSTGRES_URL`` is set, a fresh database on that server; the
SQLite file otherwise): each answers its own servers, and what one stores the other reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from fakes.discord import FakeDiscord, InteractionTimeout
from fakes.discord.stack import BotProcess, bot_environment, migrate
from fakes.mal import FakeMal

POSTGRES_URL = os.environ.get("ANIREC_TEST_POSTGRES_URL")


@pytest.fixture
async def shared_database_url(database_url: str) -> AsyncIterator[str]:
    """A database for both processes: a fresh, migrated one on the test PostgreSQL server (the
    test database itself when the role may not create databases), else the SQLite file."""
    if POSTGRES_URL is None:
        yield database_url
        return
    name = f"anirec_shards_{secrets.token_hex(4)}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError:
        name = ""
    url = (
        make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        if name
        else POSTGRES_URL
    )
    await migrate(url)
    try:
        yield url
    finally:
        if name:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def wait_ready(fake: FakeDiscord, processes: list[BotProcess], within: float) -> None:
    """Until every shard is READY and the commands synced; fails at once if a process exits."""
    ready = asyncio.ensure_future(fake.wait_until_ready(within=within))
    try:
        while not ready.done():
            for process in processes:
                assert process.running(), f"a bot process exited:\n{process.log_tail()}"
            await asyncio.wait({ready}, timeout=0.2)
        ready.result()
    finally:
        ready.cancel()


async def log_once(process: BotProcess, line: str, within: float) -> str:
    """The process's log once it holds ``line``."""
    for _ in range(int(within / 0.1)):
        log = process.log_path.read_text(errors="replace")
        if line in log:
            return log
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {line!r} in the bot's log:\n{process.log_tail()}")


async def test_two_processes_with_disjoint_shards_each_answer_their_servers(
    shared_database_url: str, model_path: Path, mal: FakeMal, tmp_path: Path
) -> None:
    async with FakeDiscord.running(heartbeat_interval=1.0, shard_count=2) as fake:
        guilds = [fake.add_guild("zero", shard=0), fake.add_guild("one", shard=1)]
        alice = [fake.add_member(guilds[0], "alice")]
        alice.append(fake.add_member(guilds[1], alice[0].user))
        carol = [fake.add_member(g, "carol") for g in guilds]
        processes = []
        for shard_id in (0, 1):
            workdir = tmp_path / f"shard-{shard_id}"
            workdir.mkdir()
            env = bot_environment(
                discord_env=fake.env(),
                mal_base_url=mal.base_url,
                database_url=shared_database_url,
                model_path=model_path,
                # One names its shard, the other is process 1 of 2: both ways of splitting.
                extra={"SHARD_COUNT": "2", "SHARD_IDS": "0"}
                if shard_id == 0
                else {"SHARD_COUNT": "2", "CLUSTER_INDEX": "1", "CLUSTER_SIZE": "2"},
            )
            processes.append(BotProcess(env, workdir=workdir))
        for process in processes:
            process.start()
        try:
            await wait_ready(fake, processes, within=60)
            # alice links on shard 0's server; shard 1's process reads her list from the DB.
            linked = await fake.slash(guilds[0], alice[0], "link", username="alice_mal")
            assert "Linked" in linked.text
            recs = await fake.slash(guilds[1], alice[1], "recommend", count=3)
            assert "Recommendations for" in recs.text

            for shard_id, process in enumerate(processes):
                log = await log_once(process, "ready as ", within=20)
                assert f"(shards {shard_id} of 2)" in log
                assert f"shard {shard_id} of 2: 1 servers, latency " in log
                assert f"shard {1 - shard_id} of 2:" not in log

            await processes[1].stop()
            answered = await fake.slash(guilds[0], carol[0], "recommend")
            assert answered.text, "shard 0's process still answers its server"
            fake.ack_deadline = 1.0  # an idle process 0 would answer well within it
            with pytest.raises(InteractionTimeout):  # nobody else answers shard 1's server
                await fake.slash(guilds[1], carol[1], "recommend")
        finally:
            for process in processes:
                with contextlib.suppress(Exception):
                    await process.stop()
    refused = [r for r in fake.requests if r.path.endswith("/callback") and r.status >= 400]
    assert not refused and not fake.rejected
