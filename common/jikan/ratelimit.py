"""A sliding-window rate limiter: at most ``count`` request starts in any ``seconds`` window,
for every window given (Jikan v4 publishes two: 3 per second and 60 per minute).

A plain spacing of one request a second would also keep both, but a sliding window lets short
bursts through (3 at once) while the minute's budget holds, and says the published limits as
they are written. :meth:`SlidingWindowLimiter.defer` pauses everyone (a 429 applies to the
whole client, not to one request).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Sequence


class SlidingWindowLimiter:
    """Request starts limited per window; safe to share between tasks of one event loop."""

    def __init__(self, windows: Sequence[tuple[int, float]]) -> None:
        for count, seconds in windows:
            if count < 1 or seconds <= 0:
                raise ValueError("each window needs count >= 1 and seconds > 0")
        self.windows = tuple(windows)
        horizon = max((count for count, _ in self.windows), default=0)
        self.starts: deque[float] = deque(maxlen=max(horizon, 1))  # monotonic start times
        self._not_before = 0.0
        self._lock: asyncio.Lock | None = None  # created in the loop that uses it

    def _wait_needed(self, now: float) -> float:
        wait = max(0.0, self._not_before - now)
        for count, seconds in self.windows:
            if len(self.starts) >= count:
                # The count-th most recent start must have left the window.
                oldest = self.starts[-count]
                wait = max(wait, oldest + seconds - now)
        return wait

    async def acquire(self) -> None:
        """Wait until a request may start, and book its start."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one waiter books at a time: the order is kept
            while True:
                wait = self._wait_needed(time.monotonic())
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self.starts.append(time.monotonic())

    def defer(self, seconds: float) -> None:
        """No request starts in the next ``seconds``."""
        if seconds > 0:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
