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
from collections.abc import AsyncIterator
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


class FakeDiscord(RestApi, MemberActions):
    """A local Discord for the real discord.py client; see the package docstring for the API."""

    def __init__(
        self,
        *,
        token: str | None = None,
        heartbeat_interval: float = 41.25,
        ack_deadline: float = 3.0,
        app_name: str = "anirec",
    ) -> None:
        self.token = token
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
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval)
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
        site = web.TCPSite(self._runner, "127.0.0.1", port)
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

    def add_guild(self, name: str = "Test Server", *, channels: tuple[str, ...] = ("general",)):
        """A new server with text channels and the bot as a member (announced if connected)."""
        guild = FakeGuild(snowflake(), name, owner_id=self.owner.id)
        guild.channels = [
            FakeChannel(snowflake(), guild.id, channel, position=i)
            for i, channel in enumerate(channels)
        ]
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, guild.id, Permission.ALL)
        guild.members[self.owner.id] = FakeMember(self.owner, guild.id, Permission.ALL)
        self.guilds[guild.id] = guild
        if self.gateway.ready.is_set():
            self._spawn(self.gateway.dispatch("GUILD_CREATE", guild.payload()))
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
        if self.gateway.ready.is_set():
            data = {**member.payload(), "guild_id": str(guild.id)}
            self._spawn(self.gateway.dispatch("GUILD_MEMBER_ADD", data))
        return member

    # ----------------------------------------------------------------- waiting

    async def wait_until_ready(self, within: float = 30.0, *, commands: bool = True) -> None:
        """Until a client has identified and received READY (and, by default, synced commands)."""
        async with asyncio.timeout(within):
            await self.gateway.ready.wait()
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

    async def ping(self, within: float = 5.0) -> float:
        """Gateway op 1 → the client's heartbeat: round trip in seconds (≈ its loop lag)."""
        return await self.gateway.ping(within)

    # ----------------------------------------------------------------- the gateway

    async def request_reconnect(self) -> None:
        """Gateway op 7 RECONNECT: the client must reconnect and RESUME."""
        await self.gateway.request_reconnect()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
