"""What running several shards adds to the client: Discord's IDENTIFY rate limit, and one log
line per shard event (shard id, its servers, its heartbeat latency).

Discord allows ``max_concurrency`` IDENTIFYs per 5 seconds, one per bucket
``shard_id % max_concurrency`` (``/gateway/bot``'s ``session_start_limit``; 1 for most bots).
discord.py's default waits 5 s before every IDENTIFY but a process's first, which also makes a
process of 16 shards take 75 s to connect on a bot allowed 16 at once; this waits only as long
as the bucket needs, and before a shard's re-IDENTIFY (after INVALID_SESSION) the random 1–5 s
Discord asks for. The limit is per bot, so processes starting at the same moment can still
collide: Discord answers INVALID_SESSION and the shard identifies again a little later.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
IDENTIFY_WINDOW = 5.0
REIDENTIFY_DELAY = (1.0, 5.0)


class IdentifyBuckets:
    """Spaces this process's IDENTIFYs as Discord's session start limit asks."""

    def __init__(self, max_concurrency: Callable[[], Awaitable[int]]) -> None:
        self._fetch = max_concurrency
        self._max: int | None = None
        self._next: dict[int, float] = {}  # bucket → earliest next IDENTIFY (loop time)
        self._identified: set[int] = set()
        self.reidentify_delay = REIDENTIFY_DELAY  # tests shorten it

    async def wait(self, shard_id: int) -> float:
        """Sleep until ``shard_id`` may IDENTIFY; the seconds waited."""
        if self._max is None:
            try:
                self._max = max(1, await self._fetch())
            except Exception as exc:  # any failure: assume the strictest limit
                log.warning("session start limit unknown (%s): one IDENTIFY per 5 s", exc)
                self._max = 1
        bucket = shard_id % self._max
        now = asyncio.get_running_loop().time()
        at = max(now, self._next.get(bucket, now))
        if shard_id in self._identified:  # a re-IDENTIFY: Discord asks for a random 1-5 s
            at = max(at, now + random.uniform(*self.reidentify_delay))
        self._identified.add(shard_id)
        self._next[bucket] = at + IDENTIFY_WINDOW
        if at > now:
            log.info(
                "shard %d: identifying in %.1f s (Discord's identify rate limit)",
                shard_id,
                at - now,
            )
            await asyncio.sleep(at - now)
        return at - now


def latency_ms(seconds: float) -> str:
    """A heartbeat latency for a log line (none measured yet: "n/a")."""
    return "n/a" if not math.isfinite(seconds) else f"{1000 * seconds:.0f} ms"
