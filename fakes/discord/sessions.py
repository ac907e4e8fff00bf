"""What the fake gateway keeps: per websocket (:class:`Connection`), per session (survives a
RESUME) and per shard (:class:`ShardState`: its current session, counters, heartbeats and the
events held while it re-identifies)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from common.shards import guild_shard as shard_of  # (guild_id >> 22) % count; DMs: 0

HEARTBEAT = 1


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


class Connection:
    """One websocket from the client; sends JSON text frames, or zlib-stream when asked."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, *, compress: bool) -> None:
        self.ws = ws
        self._transport = request.transport
        self.session: Session | None = None
        self.compressed = compress
        self.beats: list[float] = []  # heartbeats before IDENTIFY/RESUME named the shard
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

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (the client sees close code 1006)."""
        if self._transport is not None:
            self._transport.abort()

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


@dataclass
class Session:
    """A gateway session of one shard; survives reconnects when the client RESUMEs."""

    id: str
    shard_id: int
    identify: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # kept for RESUME replay
    connection: Connection | None = None  # None while the client is away (events buffer)
    started: bool = False  # READY and its GUILD_CREATEs sent
    invalid: bool = False  # INVALID_SESSION sent: the client must IDENTIFY anew


Release = Callable[[], None]


@dataclass
class ShardState:
    """One shard as the gateway sees it, across sessions and reconnects."""

    id: int
    stats: HeartbeatStats
    session: Session | None = None
    connections: int = 0  # websockets that identified or resumed as this shard
    identifies: int = 0
    resumes: int = 0
    held: list[tuple[str, dict[str, Any], Release | None]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def connection(self) -> Connection | None:
        """The live websocket of this shard's session, if any."""
        return self.session.connection if self.session is not None else None

    def guilds(self, guild_ids: list[int], shard_count: int) -> list[int]:
        """The ids among ``guild_ids`` that Discord routes to this shard."""
        return [g for g in guild_ids if shard_of(g, shard_count) == self.id]
