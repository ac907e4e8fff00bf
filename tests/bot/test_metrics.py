"""The process metrics: loop lag sampled on the real loop, the log line, the loopback endpoint."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import aiohttp
import pytest

from bot.metrics import Metrics, memory_kib, percentile, running_metrics


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0


def test_memory_reads_this_process() -> None:
    memory = memory_kib()
    assert memory["Rss"] > 0 and 0 < memory["Pss"] <= memory["Rss"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_blocked_loop_shows_in_the_line_and_the_endpoint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    metrics = Metrics({"pool_queued": lambda: 3, "broken": lambda: 1 // 0})
    caplog.set_level(logging.INFO, logger="bot.metrics")
    async with running_metrics(metrics, interval=0.3, port=port):
        await asyncio.sleep(0.1)
        time.sleep(0.25)  # noqa: ASYNC251 - blocks the loop on purpose: a timer fires late
        await asyncio.sleep(0.4)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics?window=5") as response,
        ):
            assert response.status == 200
            body = await response.json()
    assert body["loop_lag_max_ms"] >= 200, body
    assert body["lag_samples"] > 5 and body["pool_queued"] == 3 and body["broken"] is None
    assert body["rss_mib"] > 0 and "interactions_in_flight" in body
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("metrics ")]
    assert lines and "loop_lag_p99_ms=" in lines[0] and "pool_queued=3" in lines[0]
