"""What to watch on a running bot process: a periodic ``/metrics``-style log line and, when
``METRICS_PORT`` is set, the same numbers as JSON on ``http://127.0.0.1:PORT/metrics``.

Event-loop lag is sampled the usual way (a timer that should fire every ``LAG_EVERY`` seconds;
how late it fires is time the loop spent on something else, GIL waits included). The line
also carries the garbage collector's pauses (:mod:`bot.gcpauses`), the recommender pool's
queue, the interactions being answered, how long the next MAL request would wait for the rate
limit, and the process's memory from ``/proc/self/smaps_rollup`` (RSS, and PSS: the
memory-mapped model's pages shared between processes count once across them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.gcpauses import GcPauses

log = logging.getLogger(__name__)
LAG_EVERY = 0.02
LAG_KEEP = 30_000  # samples: 10 minutes at LAG_EVERY
INTERACTION_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch-")
"""Names discord.py gives the tasks that run a slash command or a component callback."""
MEMORY_KEYS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values`` by the nearest-rank method; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """``/proc/<pid>/smaps_rollup`` fields in KiB (empty where /proc has none)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    found: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in MEMORY_KEYS:
            found[key] = int(rest.split()[0])
    return found


def _answers_interaction(task: asyncio.Task[object]) -> bool:
    return task.get_name().startswith(INTERACTION_TASKS)


def answering() -> bool:
    """Whether this event loop runs a slash command or a component callback now."""
    return any(_answers_interaction(t) for t in asyncio.all_tasks())


class LoopLag:
    """Samples of how late a periodic timer fires on this event loop."""

    def __init__(self, every: float = LAG_EVERY, keep: int = LAG_KEEP) -> None:
        self.every = every
        self.samples: deque[tuple[float, float]] = deque(maxlen=keep)  # (monotonic, lag s)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.every)
            self.samples.append((time.monotonic(), max(0.0, loop.time() - start - self.every)))

    def recent(self, window: float) -> list[float]:
        """Lags (seconds) sampled in the last ``window`` seconds."""
        since = time.monotonic() - window
        return [lag for at, lag in self.samples if at >= since]


class Metrics:
    """The numbers of one process; ``probes`` name extra readings (pool, MAL, …)."""

    def __init__(self, probes: dict[str, Callable[[], float | int]] | None = None) -> None:
        self.lag = LoopLag()
        self.gc = GcPauses()
        self.probes = dict(probes or {})
        self.started = time.monotonic()

    def snapshot(self, window: float = 60.0) -> dict[str, Any]:
        """Loop lag p50/p99/max (ms) over the last ``window`` seconds, the probes, memory."""
        lags = self.lag.recent(window)
        tasks = asyncio.all_tasks()
        values: dict[str, Any] = {
            "window_s": round(min(window, time.monotonic() - self.started), 1),
            "loop_lag_p50_ms": round(1000 * percentile(lags, 0.50), 1),
            "loop_lag_p99_ms": round(1000 * percentile(lags, 0.99), 1),
            "loop_lag_max_ms": round(1000 * max(lags, default=0.0), 1),
            "lag_samples": len(lags),
            "interactions_in_flight": sum(1 for t in tasks if _answers_interaction(t)),
        }
        for name, probe in self.probes.items():
            try:
                values[name] = probe()
            except Exception:  # a reading must never take the line down
                values[name] = None
        values.update(self.gc.summary(window))
        memory = memory_kib()
        if memory:
            values["rss_mib"] = round(memory.get("Rss", 0) / 1024, 1)
            values["pss_mib"] = round(memory.get("Pss", 0) / 1024, 1)
            shared = memory.get("Shared_Clean", 0) + memory.get("Shared_Dirty", 0)
            values["shared_mib"] = round(shared / 1024, 1)
        return values

    def line(self, window: float) -> str:
        return "metrics " + " ".join(f"{k}={v}" for k, v in self.snapshot(window).items())

    async def log_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            log.info("%s", self.line(interval))

    async def handle(self, request: web.Request) -> web.Response:
        """``GET /metrics[?window=seconds]``: the snapshot as JSON."""
        try:
            window = float(request.query.get("window", "60"))
        except ValueError:
            raise web.HTTPBadRequest(text="window must be a number of seconds") from None
        return web.json_response(self.snapshot(max(0.0, window)))


@contextlib.asynccontextmanager
async def running_metrics(
    metrics: Metrics, *, interval: float, port: int | None
) -> AsyncIterator[Metrics]:
    """Sample loop lag, log a line every ``interval`` seconds (0: no line) and serve
    ``/metrics`` on 127.0.0.1:``port`` (None or 0: no endpoint), until exit."""
    tasks = [asyncio.create_task(metrics.lag.run(), name="metrics-loop-lag")]
    metrics.gc.install()
    if interval > 0:
        tasks.append(asyncio.create_task(metrics.log_every(interval), name="metrics-log"))
    runner: web.AppRunner | None = None
    if port:
        app = web.Application()
        app.router.add_get("/metrics", metrics.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        log.info("serving /metrics on http://127.0.0.1:%d", port)
    try:
        yield metrics
    finally:
        metrics.gc.uninstall()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if runner is not None:
            await runner.cleanup()
