"""The fake gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME, dispatch.

Also what the gateway can measure about the client: heartbeat arrival times (discord.py's
keep-alive thread sends each beat through the client's event loop, so a beat arriving late
means the loop was busy) and on-demand pings (the gateway sends op 1 and discord.py answers
from its loop at once: the round trip is loop lag plus loopback time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import statistics
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
CLOSE_AUTHENTICATION_FAILED = 4004


@dataclass
class HeartbeatStats:
    """Heartbeats and pings seen by the gateway (seconds, ``time.perf_counter``)."""

    interval: float
    arrivals: list[float] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)

    def lags(self, since: float | None = None) -> list[float]:
        """How late each heartbeat came after the previous one, beyond the interval (≥ 0), for
        beats arriving after ``since`` (a ``time.perf_counter()``; default: all but the first
        two, since discord.py sends its first beat at once on HELLO).

        discord.py's keep-alive thread waits ``interval`` after each completed send, so any
        extra gap is time the send coroutine waited for the client's event loop.
        """
        pairs = list(zip(self.arrivals, self.arrivals[1:], strict=False))
        pairs = pairs[1:] if since is None else [(a, b) for a, b in pairs if b > since]
        return [max(b - a - self.interval, 0.0) for a, b in pairs]

    def summary(self) -> dict[str, float | int]:
        """Counts, max/mean heartbeat lag and p50/max ping, in milliseconds."""
        lags, pings = self.lags(), self.pings
        return {
            "heartbeats": len(self.arrivals),
            "heartbeat_lag_max_ms": 1000 * max(lags, default=0.0),
            "heartbeat_lag_mean_ms": 1000 * (statistics.fmean(lags) if lags else 0.0),
            "pings": len(pings),
            "ping_p50_ms": 1000 * (statistics.median(pings) if pings else 0.0),
            "ping_max_ms": 1000 * max(pings, default=0.0),
        }


@dataclass
class Session:
    """A gateway session (survives reconnects when the client RESUMEs)."""

    id: str
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # kept for RESUME replay
    identify: dict[str, Any] = field(default_factory=dict)


class Connection:
    """One websocket from the client; sends JSON text frames, or zlib-stream when asked."""

    def __init__(self, ws: web.WebSocketResponse, *, compress: bool) -> None:
        self.ws = ws
        self.session: Session | None = None
        self.compressed = compress
        self._compressor = zlib.compressobj() if compress else None
        self._lock = asyncio.Lock()
        self._ping_waiters: list[tuple[float, asyncio.Future[float]]] = []

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with self._lock:  # zlib-stream frames must go out in compression order
            if self.ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                if self._compressor is None:
                    await self.ws.send_str(text)
                else:
                    data = self._compressor.compress(text.encode())
                    data += self._compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)

    async def ping(self, within: float) -> float:
        """Send op 1 and wait for the client's heartbeat in reply; the round trip in seconds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        self._ping_waiters.append((started, future))
        await self.send({"op": HEARTBEAT, "d": None})
        return await asyncio.wait_for(future, within)

    def heartbeat_received(self, at: float) -> bool:
        """Resolve the oldest ping, if one waits; True when this beat answered a ping."""
        while self._ping_waiters:
            started, future = self._ping_waiters.pop(0)
            if not future.done():
                future.set_result(at - started)
                return True
        return False


class Gateway:
    """Runs connections for a :class:`~fakes.discord.server.FakeDiscord`."""

    def __init__(self, fake: Any, *, heartbeat_interval: float) -> None:
        self.fake = fake
        self.stats = HeartbeatStats(interval=heartbeat_interval)
        self.sessions: dict[str, Session] = {}
        self.connection: Connection | None = None
        self.connections = 0
        self.identifies = 0
        self.resumes = 0
        self.ready = asyncio.Event()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        conn = Connection(ws, compress=compress)
        self.connection = conn
        self.connections += 1
        await conn.send({"op": HELLO, "d": {"heartbeat_interval": int(self.stats.interval * 1000)}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                await self._on_message(conn, json.loads(msg.data))
        finally:
            if self.connection is conn:
                self.connection = None
                self.ready.clear()
        return ws

    async def _on_message(self, conn: Connection, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        data: Any = msg.get("d")
        if op == HEARTBEAT:
            now = time.perf_counter()
            if not conn.heartbeat_received(now):
                self.stats.arrivals.append(now)
            await conn.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(conn, data)
        # PRESENCE and voice updates need no answer.

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if not self.fake.token_ok(data.get("token")):
            await conn.ws.close(code=CLOSE_AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return
        self.identifies += 1
        session = Session(id=secrets.token_hex(16), identify=data)
        self.sessions[session.id] = session
        conn.session = session
        guilds = list(self.fake.guilds.values())
        await self._dispatch(
            conn,
            "READY",
            {
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
            },
        )
        for guild in guilds:
            await self._dispatch(conn, "GUILD_CREATE", guild.payload())
        self.ready.set()

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not self.fake.token_ok(data.get("token")):
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        self.resumes += 1
        conn.session = session
        since = int(data.get("seq") or 0)
        for event in session.events:
            if event["s"] > since:
                await conn.send(event)
        await self._dispatch(conn, "RESUMED", {"_trace": ["fake-discord"]})
        self.ready.set()

    async def _members_chunk(self, conn: Connection, data: dict[str, Any]) -> None:
        guild = self.fake.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
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
        await self._dispatch(conn, "GUILD_MEMBERS_CHUNK", chunk)

    async def _dispatch(self, conn: Connection, event: str, data: dict[str, Any]) -> None:
        session = conn.session
        assert session is not None
        session.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(payload)
        del session.events[:-1000]
        await conn.send(payload)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the connected, identified client."""
        conn = self.connection
        if conn is None or conn.session is None:
            raise RuntimeError(f"cannot dispatch {event}: no client is connected to the gateway")
        await self._dispatch(conn, event, data)

    async def request_reconnect(self) -> None:
        """Send op 7: the client closes and RESUMEs on a new connection."""
        if self.connection is not None:
            await self.connection.send({"op": RECONNECT, "d": None})

    async def ping(self, within: float = 5.0) -> float:
        """Ask the client for a heartbeat (op 1) now; round trip in seconds, also recorded."""
        conn = self.connection
        if conn is None or conn.session is None:
            raise RuntimeError("no client is connected to the gateway")
        rtt = await conn.ping(within)
        self.stats.pings.append(rtt)
        return rtt

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.ws.close(code=1001, message=b"fake discord shutting down")
