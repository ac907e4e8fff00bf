"""The fake gateway: HELLO, IDENTIFY (with ``shard: [id, count]``) → READY + GUILD_CREATE of that
shard's guilds, heartbeats, RESUME, dispatch routed to the guild's shard, and faults per shard.

Shards: the fake runs ``shard_count`` shards (``/gateway/bot`` says how many). A client
identifies each one with ``shard: [id, count]`` (``count`` must equal ``shard_count``: Discord's
close 4010 otherwise; no ``shard`` with more than one shard: 4011). A shard's READY lists only
the guilds with ``(guild_id >> 22) % shard_count == id``; DMs go to shard 0. Any number of
client processes may connect, each running some of the shards.

Events follow the session, not the socket: while a shard's socket is gone (dropped, or closed
after op 7 RECONNECT) its events are kept and replayed on RESUME, as Discord does. After op 9
INVALID_SESSION (``d: false``) the client must IDENTIFY anew; Discord would lose what happened
meanwhile (a member would see "This interaction failed" and press again), the fake instead
*holds* those events and delivers them after the new READY, so tests can count every answer.

Faults, per shard, usable mid-load: :meth:`Gateway.drop` (TCP cut without a close frame: the
client RESUMEs), :meth:`Gateway.request_reconnect` (op 7: the client RESUMEs),
:meth:`Gateway.invalidate_session` (op 9 ``d: false``: the client re-IDENTIFYs).

Also what the gateway can measure about the client, per shard: heartbeat arrival times
(discord.py's keep-alive thread sends each beat through the client's event loop, so a beat
arriving late means the loop was busy) and on-demand pings (the gateway sends op 1 and
discord.py answers from its loop at once: the round trip is loop lag plus loopback time).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

from fakes.discord.sessions import (
    Connection,
    HeartbeatStats,
    Release,
    Session,
    ShardState,
    shard_of,
)

__all__ = ["Connection", "Gateway", "HeartbeatStats", "Session", "ShardState", "shard_of"]

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
CLOSE_AUTHENTICATION_FAILED, CLOSE_INVALID_SHARD, CLOSE_SHARDING_REQUIRED = 4004, 4010, 4011
log = logging.getLogger(__name__)


class Gateway:
    """Runs connections for a :class:`~fakes.discord.server.FakeDiscord`."""

    def __init__(self, fake: Any, *, heartbeat_interval: float, shard_count: int = 1) -> None:
        if shard_count < 1:
            raise ValueError(f"shard_count must be at least 1, not {shard_count}")
        self.fake = fake
        self.shard_count = shard_count
        self.shards = {
            i: ShardState(i, HeartbeatStats(interval=heartbeat_interval))
            for i in range(shard_count)
        }
        self.sessions: dict[str, Session] = {}
        self.connections = 0  # websockets opened, all shards
        self.held = 0  # events held while their shard re-identified
        self.ready = asyncio.Event()  # every shard has a session that finished READY
        self._live: set[Connection] = set()

    # ----------------------------------------------------------------- totals, shard 0

    @property
    def identifies(self) -> int:
        return sum(s.identifies for s in self.shards.values())

    @property
    def resumes(self) -> int:
        return sum(s.resumes for s in self.shards.values())

    @property
    def stats(self) -> HeartbeatStats:
        """Shard 0's heartbeats (one process's loop; other shards: ``shards[i].stats``)."""
        return self.shards[0].stats

    @property
    def connection(self) -> Connection | None:
        """Shard 0's live websocket."""
        return self.shards[0].connection

    def shard_of(self, guild_id: int | None) -> int:
        return shard_of(guild_id, self.shard_count)

    # ----------------------------------------------------------------- the protocol

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request, compress=request.query.get("compress") == "zlib-stream")
        self.connections += 1
        self._live.add(conn)
        await conn.send(
            {"op": HELLO, "d": {"heartbeat_interval": int(self.shards[0].stats.interval * 1000)}}
        )
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._on_message(conn, json.loads(msg.data))
        finally:
            self._live.discard(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                self._set_ready(session.shard_id, False)
        return ws

    async def _on_message(self, conn: Connection, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        data: Any = msg.get("d")
        if op == HEARTBEAT:
            now = time.perf_counter()
            if not conn.heartbeat_received(now):
                if conn.session is None:
                    conn.beats.append(now)
                else:
                    self.shards[conn.session.shard_id].stats.arrivals.append(now)
            await conn.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(conn, data)
        # PRESENCE and voice updates need no answer.

    def _attach(self, conn: Connection, session: Session) -> ShardState:
        shard = self.shards[session.shard_id]
        conn.session = session
        shard.connections += 1
        shard.stats.arrivals.extend(conn.beats)
        conn.beats.clear()
        return shard

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if not self.fake.token_ok(data.get("token")):
            await conn.ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        asked = data.get("shard")
        if asked is None and self.shard_count > 1:
            await conn.ws.close(code=CLOSE_SHARDING_REQUIRED, message=b"Sharding required.")
            return
        shard_id, count = (int(asked[0]), int(asked[1])) if asked else (0, 1)
        if count != self.shard_count or not 0 <= shard_id < count:
            await conn.ws.close(code=CLOSE_INVALID_SHARD, message=b"Invalid shard.")
            return
        shard = self.shards[shard_id]
        previous = shard.session
        if previous is not None and not previous.invalid:
            # Another IDENTIFY of this shard (a second process?) replaces its session.
            await self._invalidate(previous, notify=previous.connection is not conn)
        session = Session(id=secrets.token_hex(16), shard_id=shard_id, identify=data)
        session.connection = conn
        self.sessions[session.id] = session
        shard.session = session
        self._attach(conn, session)
        shard.identifies += 1
        guilds = [self.fake.guilds[g] for g in shard.guilds(list(self.fake.guilds), count)]
        ready = {
            "v": 10,
            "user": self.fake.bot_user.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.fake.gateway_url,
            "session_type": "normal",
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "application": {"id": str(self.fake.application_id), "flags": 0},
            "_trace": ["fake-discord"],
        }
        if asked is not None:
            ready["shard"] = [shard_id, count]
        await self._dispatch(session, "READY", ready)
        for guild in guilds:
            await self._dispatch(session, "GUILD_CREATE", guild.payload())
        while shard.held and shard.session is session:  # what waited for this READY
            event, payload, release = shard.held.pop(0)
            if release is not None:
                release()
            await self._dispatch(session, event, payload)
        session.started = True
        self._set_ready(shard_id, session.connection is conn)

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalid or not self.fake.token_ok(data.get("token")):
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        if session.connection is not None and session.connection is not conn:
            session.connection.abort()
        shard = self._attach(conn, session)
        shard.resumes += 1
        sent = int(data.get("seq") or 0)
        # Replay until caught up; events dispatched meanwhile land in the buffer and are
        # picked up here, so they go out in order before the socket takes new ones directly.
        while missed := [e for e in session.events if e["s"] > sent]:
            for event in missed:
                await conn.send(event)
                sent = event["s"]
        session.connection = conn
        await self._dispatch(session, "RESUMED", {"_trace": ["fake-discord"]})
        self._set_ready(session.shard_id, session.started)

    async def _members_chunk(self, conn: Connection, data: dict[str, Any]) -> None:
        guild = self.fake.guilds.get(int(data.get("guild_id") or 0))
        if guild is None or conn.session is None:
            return
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        del session.events[:-1000]
        if session.connection is not None:
            await session.connection.send(payload)

    def _set_ready(self, shard_id: int, ready: bool) -> None:
        shard = self.shards[shard_id]
        if ready:
            shard.ready.set()
            if all(s.ready.is_set() for s in self.shards.values()):
                self.ready.set()
        else:
            shard.ready.clear()
            self.ready.clear()

    # ----------------------------------------------------------------- the harness's side

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None = None,
        shard_id: int | None = None,
        released: Release | None = None,
    ) -> None:
        """Send an event on the shard of ``guild_id`` (DMs and ``None``: shard 0) unless
        ``shard_id`` is given. A shard away from its socket gets it on RESUME; a shard that
        must re-identify, after its next READY (``released`` is called then)."""
        shard = self.shards[self.shard_of(guild_id) if shard_id is None else shard_id]
        session = shard.session
        if session is None:
            raise RuntimeError(f"cannot dispatch {event}: shard {shard.id} has not identified")
        if session.invalid or not session.started:
            shard.held.append((event, data, released))
            self.held += 1
            return
        await self._dispatch(session, event, data)

    def live(self, shard_id: int) -> Connection:
        conn = self.shards[shard_id].connection
        if conn is None or conn.ws.closed:
            raise RuntimeError(f"shard {shard_id} has no live connection")
        return conn

    async def drop(self, shard_id: int = 0) -> None:
        """Cut shard ``shard_id``'s socket without a close frame: the client RESUMEs."""
        self.live(shard_id).abort()

    async def request_reconnect(self, shard_id: int = 0) -> None:
        """Send op 7 on shard ``shard_id``: the client closes and RESUMEs on a new socket."""
        await self.live(shard_id).send({"op": RECONNECT, "d": None})

    async def invalidate_session(self, shard_id: int = 0) -> None:
        """Send op 9 (``d: false``) on shard ``shard_id``: its session is gone (RESUME gets op 9
        too) and the client must IDENTIFY anew; events for the shard wait for its READY."""
        session = self.shards[shard_id].session
        if session is None:
            raise RuntimeError(f"shard {shard_id} has no session")
        await self._invalidate(session)

    async def _invalidate(self, session: Session, *, notify: bool = True) -> None:
        session.invalid = True
        self.sessions.pop(session.id, None)
        self._set_ready(session.shard_id, False)
        if notify and session.connection is not None:
            await session.connection.send({"op": INVALID_SESSION, "d": False})

    async def wait_shard(self, shard_id: int, within: float = 30.0) -> None:
        """Until shard ``shard_id`` has a live session past READY (or RESUMED)."""
        async with asyncio.timeout(within):
            await self.shards[shard_id].ready.wait()

    async def ping(self, within: float = 5.0, *, shard_id: int = 0) -> float:
        """Ask the client for a heartbeat (op 1) now; round trip in seconds, also recorded."""
        shard = self.shards[shard_id]
        conn = shard.connection
        if conn is None:
            raise RuntimeError(f"no client is connected to the gateway as shard {shard_id}")
        rtt = await conn.ping(within)
        shard.stats.pings.append(rtt)
        return rtt

    async def close(self) -> None:
        for conn in list(self._live):
            await conn.ws.close(code=1001, message=b"fake discord shutting down")
