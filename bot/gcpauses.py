"""How long the garbage collector stops this process: every collection's duration, per
generation, from :data:`gc.callbacks`.

A full (generation 2) collection walks every tracked object of the process, the catalog's and
the answer cache's included, with the GIL held: the event loop stands still for all of it.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import Callable
from typing import Any

KEEP = 10_000
"""Collections remembered (the metrics' windows look back minutes)."""
OLD_THRESHOLD = 1000
"""Middle-generation collections between full ones (CPython's default is 10): full collections
come from :func:`collect_when_idle` instead, between bursts."""
IDLE_COLLECT_SECONDS = 600.0
"""How often :func:`collect_when_idle` looks for a quiet moment for a full collection."""


def freeze_long_lived() -> None:
    """Move every object alive now (the catalog, the model's indexes: millions of objects that
    live as long as the process) out of the collector's reach, and leave full collections to
    quiet moments (:func:`collect_when_idle`).

    Why: a full collection walks every tracked object with the GIL held; with the catalog
    loaded one took up to ~0.5 s, the event loop's longest stalls during a burst of
    ``/recommend`` (``make loadtest``, ``gc_pause_max_ms``). Called once the served model and
    its catalog are loaded, and after a swap once the old model is freed (the new catalog's
    objects are as long-lived). Frozen objects are still freed by reference counting
    (``gc.freeze``); young cycles are still collected as usual."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, OLD_THRESHOLD)


async def collect_when_idle(
    idle: Callable[[], bool], *, every: float = IDLE_COLLECT_SECONDS, poll: float = 1.0
) -> None:
    """Forever: every ``every`` seconds, once ``idle()`` (no command being answered, the
    model's pool empty), a full collection and a freeze of what survives it; the old cycles
    it frees would otherwise wait for a full collection in the middle of a burst."""
    while True:
        await asyncio.sleep(every)
        while not idle():  # noqa: ASYNC110  (no event says "idle"; a 1 s poll costs nothing)
            await asyncio.sleep(poll)
        gc.collect()
        gc.freeze()


class GcPauses:
    """Collections as (monotonic end, generation, seconds); :meth:`install` starts recording."""

    def __init__(self, keep: int = KEEP) -> None:
        self.pauses: deque[tuple[float, int, float]] = deque(maxlen=keep)
        # The callback only appends here: a collection can start inside any allocation,
        # also while summary() walks ``pauses`` (a deque must not change under iteration).
        self._fresh: list[tuple[float, int, float]] = []
        self._started = 0.0
        self._installed = False

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
        elif self._started:
            generation = int(info.get("generation", 0))
            self._fresh.append((time.monotonic(), generation, now - self._started))

    def install(self) -> None:
        if not self._installed:
            gc.callbacks.append(self._callback)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            gc.callbacks.remove(self._callback)
            self._installed = False

    def summary(self, window: float) -> dict[str, float | int]:
        """Over the last ``window`` seconds: collections, total and longest pause (ms), and
        the full collections among them."""
        fresh, self._fresh = self._fresh, []
        self.pauses.extend(fresh)
        since = time.monotonic() - window
        recent = [(gen, s) for at, gen, s in self.pauses if at >= since]
        return {
            "gc_collections": len(recent),
            "gc_full_collections": sum(1 for gen, _ in recent if gen == 2),
            "gc_pause_total_ms": round(1000 * sum(s for _, s in recent), 1),
            "gc_pause_max_ms": round(1000 * max((s for _, s in recent), default=0.0), 1),
        }
