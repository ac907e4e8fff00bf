"""FakeDiscord: one aiohttp server on 127.0.0.1 with Discord's REST API, gateway and a CDN.

The real discord.py client talks to it over loopback (``Route.BASE`` → :attr:`api_base_url`,
``DiscordWebSocket.DEFAULT_GATEWAY`` → :attr:`gateway_url`). Tests play members: ``slash``,
``autocomplete``, ``click`` send INTERACTION_CREATE through the gateway and wait for the bot's
callback, edits and followups, the way Discord's servers would see them
(:mod:`fakes.discord.members`); the REST side is :mod:`fakes.discord.rest`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

from aiohttp import web

from fakes.discord.gateway import Gateway, HeartbeatStats
from fakes.discord.members import MemberActions
from fakes.discord.models import (
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    Permission,
    permission_value,
    snowflake,
)
from fakes.discord.rest import API_PREFIX, Fault, RequestRecord, RestApi
from fakes.discord.results import PendingInteraction

BACKLOG = 4096
"""Pending connections the fake accepts (the OS caps it at ``net.core.somaxconn``)."""


class FakeDiscord(RestApi, MemberActions):
    """A local Discord for the real discord.py client; see the package docstring for the API."""

    def __init__(
        self,
        *,
        token: str | None = None,
        heartbeat_interval: float = 41.25,
        ack_deadline: float = 3.0,
        app_name: str = "anirec",
        shard_count: int = 1,
        max_concurrency: int = 16,
    ) -> None:
        self.token = token
        # /gateway/bot's session_start_limit.max_concurrency: identify buckets per 5 s. Discord
        # gives small bots 1; the fake defaults to a large bot's 16 so tests need not wait 5 s
        # per shard (it does not enforce the limit).
        self.max_concurrency = max_concurrency
        self.ack_deadline = ack_deadline
        self.application_id = snowflake()
        self.bot_user = FakeUser(self.application_id, app_name, bot=True)
        self.owner = FakeUser(snowflake(), "owner")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner)}
        self.guilds: dict[int, FakeGuild] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.attachments: dict[int, FakeAttachment] = {}
        self.commands: dict[int | None, dict[str, dict[str, Any]]] = {}  # guild id → name → cmd
        self.command_syncs = 0
        self.interactions: dict[str, PendingInteraction] = {}  # token → pending
        self.requests: list[RequestRecord] = []
        self.unhandled: list[str] = []
        self.rejected: list[str] = []  # bodies refused as Discord would (400, code 50035)
        self.faults: list[Fault] = []
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval, shard_count=shard_count)
        self._commands_changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, **kwargs: Any) -> AsyncIterator[FakeDiscord]:
        """Start a fake on a random loopback port; stop it (and its sockets) on exit."""
        fake = cls(**kwargs)
        await fake.start()
        try:
            yield fake
        finally:
            await fake.stop()

    async def start(self, port: int = 0) -> None:
        app = web.Application(middlewares=[self._record], client_max_size=64 * 1024 * 1024)
        self._routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        # Discord's edge takes any burst of new connections; aiohttp's default backlog (128)
        # dropped the SYNs of a 500-member load test, whose connects then retried after 1 s.
        site = web.TCPSite(self._runner, "127.0.0.1", port, backlog=BACKLOG)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What ``DISCORD_API_BASE_URL`` should be (discord.py's ``Route.BASE``)."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """What ``DISCORD_GATEWAY_URL`` should be."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self) -> dict[str, str]:
        """Environment variables that point a bot process at this fake."""
        return {
            "DISCORD_API_BASE_URL": self.api_base_url,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_TOKEN": self.token or "fake-discord-token",
        }

    # ----------------------------------------------------------------- the world

    def add_user(self, username: str, *, global_name: str | None = None) -> FakeUser:
        user = FakeUser(snowflake(), username, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Server",
        *,
        channels: tuple[str, ...] = ("general",),
        shard: int | None = None,
    ) -> FakeGuild:
        """A new server with text channels and the bot as a member (announced if its shard is
        connected); with ``shard``, its id routes it to that shard."""
        guild_id = snowflake()
        if shard is not None:  # an earlier millisecond whose (ms % shard_count) is ``shard``
            ms = guild_id >> 22
            ms -= (ms - shard) % self.shard_count
            guild_id = (ms << 22) | (guild_id & 0x3FFFFF)
        guild = FakeGuild(guild_id, name, owner_id=self.owner.id)
        guild.channels = [
            FakeChannel(snowflake(), guild.id, channel, position=i)
            for i, channel in enumerate(channels)
        ]
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, guild.id, Permission.ALL)
        guild.members[self.owner.id] = FakeMember(self.owner, guild.id, Permission.ALL)
        self.guilds[guild.id] = guild
        if self.gateway.shards[self.gateway.shard_of(guild.id)].session is not None:
            self._spawn(self.gateway.dispatch("GUILD_CREATE", guild.payload(), guild_id=guild.id))
        return guild

    def add_member(
        self,
        guild: FakeGuild,
        user: FakeUser | str,
        *,
        permissions: Any = None,
        nick: str | None = None,
    ) -> FakeMember:
        """Make ``user`` (or a new user of that name) a member with ``permissions``.

        ``permissions`` is an int of :class:`Permission` bits or a ``discord.Permissions``;
        default: an ordinary member's. The fake resolves these as the member's permissions in
        every channel (no roles or overwrites).
        """
        if isinstance(user, str):
            user = self.add_user(user)
        self.users[user.id] = user
        member = FakeMember(user, guild.id, permission_value(permissions), nick=nick)
        guild.members[user.id] = member
        if self.gateway.shards[self.gateway.shard_of(guild.id)].session is not None:
            data = {**member.payload(), "guild_id": str(guild.id)}
            self._spawn(self.gateway.dispatch("GUILD_MEMBER_ADD", data, guild_id=guild.id))
        return member

    # ----------------------------------------------------------------- waiting

    @property
    def shard_count(self) -> int:
        return self.gateway.shard_count

    def shard_of(self, guild: FakeGuild | int | None) -> int:
        """The shard Discord routes ``guild``'s events to: ``(guild_id >> 22) % shard_count``."""
        return self.gateway.shard_of(guild.id if isinstance(guild, FakeGuild) else guild)

    async def wait_until_ready(
        self, within: float = 30.0, *, commands: bool = True, shards: Iterable[int] | None = None
    ) -> None:
        """Until clients have identified every shard (or ``shards``) and received READY (and, by
        default, synced commands)."""
        async with asyncio.timeout(within):
            if shards is None:
                await self.gateway.ready.wait()
            else:
                for shard_id in shards:
                    await self.gateway.shards[shard_id].ready.wait()
            if commands:
                await self.wait_for_commands()

    async def wait_for_commands(self, *names: str, guild: FakeGuild | None = None) -> None:
        """Until the bot has registered commands (all of ``names`` when given), any scope."""
        while True:
            registered = {n for scope in self.commands.values() for n in scope}
            if (names and set(names) <= registered) or (not names and registered):
                return
            self._commands_changed.clear()
            await self._commands_changed.wait()

    @property
    def heartbeats(self) -> HeartbeatStats:
        """Heartbeat arrivals and ping round trips, for event-loop lag."""
        return self.gateway.stats

    async def ping(self, within: float = 5.0, *, shard: int = 0) -> float:
        """Gateway op 1 → the client's heartbeat on ``shard``: round trip in seconds (≈ the
        loop lag of the process running that shard)."""
        return await self.gateway.ping(within, shard_id=shard)

    # ----------------------------------------------------------------- the gateway

    async def request_reconnect(self, shard: int = 0) -> None:
        """Gateway op 7 RECONNECT on ``shard``: the client must reconnect and RESUME."""
        await self.gateway.request_reconnect(shard)

    async def drop_connection(self, shard: int = 0) -> None:
        """Cut ``shard``'s socket without a close frame: the client reconnects and RESUMEs."""
        await self.gateway.drop(shard)

    async def invalidate_session(self, shard: int = 0) -> None:
        """Gateway op 9 INVALID_SESSION (``d: false``) on ``shard``: the client re-IDENTIFYs."""
        await self.gateway.invalidate_session(shard)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
