"""A local fake Discord that the real discord.py client talks to over loopback.

One aiohttp server on 127.0.0.1 (random port) serves the REST API under ``/api/v10``, the
gateway at ``/gateway`` (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats and ACKs, RESUME,
plain JSON or zlib-stream frames, shards and per-shard faults: :mod:`fakes.discord.gateway`) and
a small CDN for attachments. Responses carry the exact ``Content-Type: application/json``
discord.py requires.

Harness API::

    async with FakeDiscord.running() as fake:           # heartbeat_interval=, ack_deadline=, token=
        fake.api_base_url   # http://127.0.0.1:PORT/api/v10   → DISCORD_API_BASE_URL
        fake.gateway_url    # ws://127.0.0.1:PORT/gateway     → DISCORD_GATEWAY_URL
        fake.env()          # both, plus DISCORD_TOKEN, for a bot process
        guild = fake.add_guild("Anime Club")
        alice = fake.add_member(guild, "alice")                       # ordinary member
        admin = fake.add_member(guild, "mod", permissions=Permission.MANAGE_GUILD)
        ...start the bot...
        await fake.wait_until_ready()     # READY sent and the bot's commands registered
        res = await fake.slash(guild, alice, "recommend", count=5)
        res.content, res.embeds, res.components, res.ephemeral, res.messages, res.text
        res.callback            # "message" | "defer" | "update message" | "modal" | ...
        res.ack_s, res.elapsed_s
        choices = await fake.autocomplete(guild, alice, "why", "title", "fma")
        nxt = await fake.click(res, res.button("Next")["custom_id"], alice)
        file = fake.attachment("animelist.xml", data)                 # served by the fake CDN
        await fake.slash(guild, alice, "import", file=file)
        await fake.ping()       # op 1 round trip ≈ the client's event-loop lag
        fake.heartbeats.summary()   # heartbeat lateness and ping statistics
        fake.fail("/callback", 429)   # next matching REST request: a real rate limit (or 5xx)
        await fake.request_reconnect()  # op 7: the client must RESUME

    Shards (any number of bot processes, each running some shards, on one fake)::

    async with FakeDiscord.running(shard_count=3) as fake:   # /gateway/bot says 3
        guild = fake.add_guild("On shard 2", shard=2)       # id routed to shard 2
        fake.shard_of(guild)    # (guild_id >> 22) % shard_count; DMs: shard 0
        await fake.wait_until_ready(shards=[0, 2])   # default: every shard READY
        await fake.slash(guild, alice, "recommend")  # sent on shard 2's websocket
        await fake.drop_connection(shard=2)     # TCP cut, no close frame → the client RESUMEs
        await fake.request_reconnect(shard=2)   # op 7 → RESUME
        await fake.invalidate_session(shard=2)  # op 9 d=false → re-IDENTIFY (events held)
        await fake.gateway.wait_shard(2)        # until shard 2 is READY/RESUMED again
        fake.gateway.shards[2]   # .identifies .resumes .connections .session .stats (heartbeats)
        await fake.ping(shard=2)                # loop lag of the process running shard 2
        fake.requests, fake.unhandled, fake.rejected, fake.commands, fake.messages

``slash`` builds options from the schema the bot registered and refuses what the Discord client
would not send (:class:`OptionError`; :class:`PermissionError` for commands hidden by
``default_member_permissions``). It waits for the callback within ``ack_deadline`` (3 s, as
Discord; a later callback gets Discord's 404 "Unknown interaction"), for a deferred reply to be
filled in, then for ``settle`` seconds of quiet (:class:`InteractionTimeout` otherwise).
What the bot sends is held to Discord's limits (:mod:`fakes.discord.limits`: message and
embed sizes, components, autocomplete choices, command schemas): Discord's 400 "Invalid Form
Body" (50035) otherwise, recorded in ``fake.rejected``. Endpoints the fake lacks answer 404 and
are recorded in ``fake.unhandled``.

:mod:`fakes.discord.stack` builds the rest of a local stack (a tiny random model, a
migrated DB, the bot as a ``python -m bot`` process) and :mod:`fakes.discord.catalog` the
anime (a built-in catalog, a sample list, MAL exports, the shared Kaggle data) for the e2e
tests, ``make demo`` and ``python -m fakes.loadtest``.
"""

from fakes.discord.gateway import HeartbeatStats
from fakes.discord.models import (
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    Permission,
)
from fakes.discord.options import OptionError
from fakes.discord.results import InteractionResult, InteractionTimeout
from fakes.discord.server import FakeDiscord

__all__ = [
    "FakeAttachment",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeUser",
    "HeartbeatStats",
    "InteractionResult",
    "InteractionTimeout",
    "OptionError",
    "Permission",
]
