"""One shared async rate limiter for every MAL request of a process.

Request *starts* are spaced at least ``1 / requests_per_second`` apart (0 turns the spacing
off), at most ``max_concurrency`` requests are in flight, and :meth:`RateLimiter.defer` pauses
everyone (a ``Retry-After`` from MAL applies to the whole client id, not to one request).

With a :class:`SharedBudget` attached (``limiter.budget``; the bot's is database-backed, one
for every process of a deployment, since MAL's limit is per client id), each start also waits
for a slot of that budget, and :meth:`RateLimiter.defer` is passed on to it.

Kept over aiolimiter: its ``AsyncLimiter(rps, 1)`` lets ``rps`` requests start at once (20 at
20 rps: the spacing test fails); set up as a bucket of one it spaces like this module, but it
has no concurrency cap, no "off" (0) and no :meth:`RateLimiter.defer`, so the wrapper needed
for those is as long as this file, and acquiring was 1.2x slower.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol


class SharedBudget(Protocol):
    """Request start slots shared with other processes."""

    async def reserve(self) -> float:
        """Book one start slot; returns the Unix time (``time.time()``) it begins."""
        ...

    def defer(self, seconds: float) -> None:
        """No request of any process starts in the next ``seconds``."""
        ...


class RateLimiter:
    """Spacing between request starts plus a concurrency cap; safe to share between tasks."""

    def __init__(self, requests_per_second: float = 1.0, max_concurrency: int = 4) -> None:
        if requests_per_second < 0:
            raise ValueError("requests_per_second must be >= 0 (0 = no limit)")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.requests_per_second = requests_per_second
        self.max_concurrency = max_concurrency
        self._interval = 1.0 / requests_per_second if requests_per_second > 0 else 0.0
        self._next_start = 0.0  # monotonic time the next request may start
        self._not_before = 0.0  # set by defer(): nobody starts before this
        # Created lazily: asyncio primitives must not outlive or predate their event loop
        # (the bot makes the client before its loop runs in some tests).
        self._semaphore: asyncio.Semaphore | None = None
        self.budget: SharedBudget | None = None

    @property
    def interval(self) -> float:
        """Seconds between request starts (0 when the limiter is off)."""
        return self._interval

    @property
    def delay(self) -> float:
        """Seconds a request asked for now would wait to start (0: the budget has room)."""
        now = time.monotonic()
        return max(0.0, self._next_start - now, self._not_before - now)

    def _reserve(self) -> float:
        """Book the next start slot; returns how long the caller must wait for it."""
        now = time.monotonic()
        start = max(now, self._next_start, self._not_before)
        self._next_start = start + self._interval
        return start - now

    async def wait(self) -> None:
        """Wait for a start slot (no concurrency slot is taken)."""
        delay = self._reserve()
        if delay > 0:
            await asyncio.sleep(delay)
        late = self._not_before - time.monotonic()
        if late > 0:  # a defer() arrived while we slept: it applies to us too
            await asyncio.sleep(late)
        if self.budget is not None:
            shared = await self.budget.reserve() - time.time()
            if shared > 0:
                await asyncio.sleep(shared)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of ``max_concurrency`` slots, starting only when the spacing allows."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        async with self._semaphore:
            await self.wait()
            yield

    def defer(self, seconds: float) -> None:
        """No request starts in the next ``seconds`` (MAL's ``Retry-After``)."""
        if seconds > 0:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
            if self.budget is not None:
                self.budget.defer(seconds)
