"""N real bot processes (``python -m bot``) on one database, the fake MAL, and the fake
Discord they connect to; members spread over the processes' servers.

Each process runs its own shards, as a large bot's processes do: one fake Discord whose guilds
route by ``(guild_id >> 22) % shard_count``, process ``k`` of ``n`` running shards ``k, k + n,
…`` (``CLUSTER_INDEX``/``CLUSTER_SIZE``); or (``shards_per_process=0``) one unsharded fake
Discord per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakes.discord.catalog import ROOT, Anime, ListEntries
from fakes.discord.stack import BotProcess, StackError, bot_environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    """One bot process, the fake Discord it talks to and the members it serves."""

    index: int
    bot: BotProcess
    fake: Any  # FakeDiscord
    guild: Any  # FakeGuild: its first server
    metrics_port: int
    shards: tuple[int, ...] = (0,)
    members: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name → (guild, member)

    @property
    def pid(self) -> int:
        assert self.bot.process is not None
        return self.bot.process.pid


@dataclass
class Cluster:
    nodes: list[Node]
    mal: Any  # FakeMal
    database_url: str
    mode: str  # "one fake Discord per process" or "sharded fake Discord"

    def where(self, member: str) -> tuple[Node, Any, Any]:
        """The node serving ``member``, the server and the member in it."""
        for node in self.nodes:
            if member in node.members:
                return (node, *node.members[member])
        raise KeyError(member)


async def _wait_ready(nodes: Sequence[Node], within: float) -> None:
    async def one(node: Node) -> None:
        ready = asyncio.ensure_future(node.fake.wait_until_ready(within=within, shards=node.shards))
        while not ready.done():
            if not node.bot.running():
                ready.cancel()
                code = node.bot.process.returncode if node.bot.process else None
                raise StackError(
                    f"bot {node.index} exited with code {code} before connecting:\n"
                    + node.bot.log_tail()
                )
            await asyncio.wait({ready}, timeout=0.2)
        try:
            ready.result()
        except TimeoutError as exc:
            raise StackError(
                f"bot {node.index} did not connect within {within:.0f} s:\n{node.bot.log_tail()}"
            ) from exc

    await asyncio.gather(*(one(node) for node in nodes))


def _environment(
    fake: Any, mal: Any, database_url: str, model_path: Path, extra: Mapping[str, str]
) -> tuple[dict[str, str], int]:
    port = free_port()
    env = bot_environment(
        discord_env=fake.env(),
        mal_base_url=mal.base_url,
        database_url=database_url,
        model_path=ROOT / model_path,
        extra={"METRICS_PORT": str(port), "METRICS_INTERVAL_SECONDS": "0", **extra},
    )
    return env, port


@contextlib.asynccontextmanager
async def running_cluster(
    *,
    processes: int,
    model_path: Path,
    anime: Sequence[Anime],
    lists: Mapping[str, ListEntries],
    members: Sequence[str],
    database_url: str,
    workdir: Path,
    shards_per_process: int = 2,
    heartbeat_interval: float = 41.25,
    ready_within: float = 120.0,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[Cluster]:
    """Start the fakes and ``processes`` bots. With ``shards_per_process`` > 0: one fake
    Discord of ``processes × shards_per_process`` shards, a server on each shard, process ``k``
    running shards ``k, k + processes, …`` (``CLUSTER_INDEX``/``CLUSTER_SIZE``) and member
    ``i`` in shard ``i % shards``'s server; with 0, one unsharded fake Discord per process.
    Everything is stopped on exit."""
    from fakes.discord.server import FakeDiscord
    from fakes.mal import FakeMal

    mal_anime = {a.anime_id: a.mal_fields() for a in anime}
    extra = dict(extra_env or {})
    async with (
        FakeMal.running(lists={k: list(v) for k, v in lists.items()}, anime=mal_anime) as mal,
        contextlib.AsyncExitStack() as stack,
    ):
        nodes: list[Node] = []
        homes = [workdir / f"bot{index}" for index in range(processes)]
        for home in homes:
            home.mkdir(parents=True, exist_ok=True)
        if shards_per_process > 0:
            count = processes * shards_per_process
            fake = await stack.enter_async_context(
                FakeDiscord.running(
                    heartbeat_interval=heartbeat_interval, ack_deadline=3.0, shard_count=count
                )
            )
            guilds = [fake.add_guild(f"load shard {s}", shard=s) for s in range(count)]
            for index, home in enumerate(homes):
                shards = tuple(range(index, count, processes))
                plan = {
                    "SHARD_COUNT": str(count),
                    "CLUSTER_INDEX": str(index),
                    "CLUSTER_SIZE": str(processes),
                }
                env, port = _environment(fake, mal, database_url, model_path, plan | extra)
                node = Node(index, BotProcess(env, workdir=home), fake, guilds[index], port, shards)
                nodes.append(node)
            for i, name in enumerate(members):
                shard = i % count
                node = nodes[shard % processes]
                node.members[name] = (guilds[shard], fake.add_member(guilds[shard], name))
            mode = f"one fake Discord, {count} shards, {shards_per_process} per process"
        else:
            for index, home in enumerate(homes):
                fake = await stack.enter_async_context(
                    FakeDiscord.running(heartbeat_interval=heartbeat_interval, ack_deadline=3.0)
                )
                env, port = _environment(fake, mal, database_url, model_path, extra)
                guild = fake.add_guild(f"load {index}")
                nodes.append(Node(index, BotProcess(env, workdir=home), fake, guild, port))
            for i, name in enumerate(members):
                node = nodes[i % processes]
                node.members[name] = (node.guild, node.fake.add_member(node.guild, name))
            mode = "one fake Discord per process"
        try:
            for node in nodes:
                node.bot.start()
            await _wait_ready(nodes, ready_within)
            await asyncio.sleep(0.5)  # discord.py dispatches on_ready after the last GUILD_CREATE
            yield Cluster(nodes, mal, database_url, mode)
        finally:
            await asyncio.gather(*(node.bot.stop() for node in nodes if node.bot.process))
