"""One load measurement: link every member, then every member runs ``/recommend`` at once;
latencies as the fake Discord sees them, loop lag and memory as each bot process reports them."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from fakes.loadtest.cluster import Cluster, Node
from fakes.loadtest.stats import (
    Numbers,
    load_average,
    machine_cpu_s,
    model_mappings,
    process_cpu_s,
    process_memory,
)

ACK_DEADLINE = 3.0  # Discord's: an interaction not acknowledged by then has failed


async def link_all(
    cluster: Cluster, usernames: dict[str, str], parallel: int
) -> tuple[Numbers, list[str]]:
    """Every member runs ``/link`` with their MAL name (``parallel`` at a time)."""
    gate = asyncio.Semaphore(parallel)
    latency, failures = Numbers(), []

    async def one(member: str, mal_name: str) -> None:
        node, guild, who = cluster.where(member)
        async with gate:
            try:
                res = await node.fake.slash(guild, who, "link", username=mal_name, within=60)
            except AssertionError as exc:
                failures.append(f"/link {member}: {exc}")
                return
            latency.add(res.elapsed_s)

    await asyncio.gather(*(one(m, u) for m, u in usernames.items()))
    return latency, failures


async def settle(mal: Any, *, quiet: float = 2.0, within: float = 300.0) -> float:
    """Wait until the fake MAL has had no request for ``quiet`` seconds (the bots' first
    background round: discovery and catalog details, unlimited here, where MAL's 1 request a
    second spreads it over half an hour); returns the seconds waited."""
    started = time.perf_counter()
    seen, since = len(mal.requests), time.perf_counter()
    while time.perf_counter() - since < quiet and time.perf_counter() - started < within:
        await asyncio.sleep(0.25)
        if len(mal.requests) != seen:
            seen, since = len(mal.requests), time.perf_counter()
    return time.perf_counter() - started


async def warmed_up(cluster: Cluster, *, quiet: float = 2.0, within: float = 300.0) -> float:
    """Wait until no bot process has had a warm-up queued for ``quiet`` seconds
    (``prefetch_queued`` 0: every linked member's default answer computed, as it is a while
    after a real ``/link``; titles whose NSFW status MAL's details settled, or a catalog swap,
    queue them all again); returns the seconds waited."""
    started = time.perf_counter()
    since = started
    while time.perf_counter() - since < quiet and time.perf_counter() - started < within:
        seen = [await node_metrics(node, 1.0) for node in cluster.nodes]
        if any(m.get("prefetch_queued") for m in seen):
            since = time.perf_counter()
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


async def node_metrics(node: Node, window: float) -> dict[str, Any]:
    """The process's own ``/metrics`` over the last ``window`` seconds."""
    url = f"http://127.0.0.1:{node.metrics_port}/metrics?window={window:.1f}"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        response.raise_for_status()
        body: dict[str, Any] = await response.json()
        return body


async def recommend_all(
    cluster: Cluster, members: list[str], count: int
) -> tuple[Numbers, Numbers, list[str], float]:
    """(acknowledged, answered, failures, wall seconds) of one ``/recommend`` per member."""
    ack, answer, failures = Numbers(), Numbers(), []

    async def one(member: str) -> None:
        node, guild, who = cluster.where(member)
        try:
            res = await node.fake.slash(guild, who, "recommend", count=count, within=60)
        except AssertionError as exc:  # InteractionTimeout: no ack within 3 s, or no answer
            failures.append(f"{member}: {exc}")
            return
        ack.add(res.ack_s or 0.0)
        answer.add(res.elapsed_s)
        if res.ack_s is None or res.ack_s > ACK_DEADLINE:
            failures.append(f"{member}: acknowledged after {res.ack_s} s")
        elif not res.embeds:
            failures.append(f"{member}: no embed: {res.text[:120]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(one(m) for m in members))
    return ack, answer, failures, time.perf_counter() - started


def progress(line: str) -> None:
    """A progress line on stderr at once (a profiler attached to a bot can wait for it)."""
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def _model_files(model: Path) -> int:
    return sum(p.stat().st_size for p in model.rglob("*") if p.is_file())


async def measure(
    cluster: Cluster,
    usernames: dict[str, str],
    *,
    count: int,
    link_parallel: int,
    model: Path,
    quiet: float = 2.0,
) -> dict[str, Any]:
    """The whole measurement as the report's dictionary (see :mod:`fakes.loadtest.cli`)."""
    link, link_failures = await link_all(cluster, usernames, link_parallel)
    progress(f"linked {len(usernames)} members")
    settled = await settle(cluster.mal, quiet=quiet) if quiet > 0 else 0.0
    if quiet > 0:
        settled += await warmed_up(cluster, quiet=quiet)
    progress("burst: every member runs /recommend now")
    mal_requests = len(cluster.mal.requests)
    before = load_average()
    cpu_before = [process_cpu_s(node.pid) for node in cluster.nodes]
    machine_before, driver_before = machine_cpu_s(), time.process_time()
    ack, answer, failures, wall = await recommend_all(cluster, list(usernames), count)
    machine_cpu = machine_cpu_s() - machine_before
    driver_cpu = time.process_time() - driver_before
    cpu = [process_cpu_s(node.pid) - b for node, b in zip(cluster.nodes, cpu_before, strict=True)]
    after = load_average()
    per_process = []
    for node, used in zip(cluster.nodes, cpu, strict=True):
        seen = await node_metrics(node, wall + 0.5)
        maps = model_mappings(node.pid, model)
        per_process.append(
            {
                "index": node.index,
                "pid": node.pid,
                "shards": list(node.shards),
                "members": len(node.members),
                "loop_lag_p50_ms": seen["loop_lag_p50_ms"],
                "loop_lag_p99_ms": seen["loop_lag_p99_ms"],
                "loop_lag_max_ms": seen["loop_lag_max_ms"],
                "lag_samples": seen["lag_samples"],
                "cpu_s": round(used, 2),
                "answer_cache_hits": seen.get("answer_cache_hits"),
                "gc_full_collections": seen.get("gc_full_collections"),
                "gc_pause_total_ms": seen.get("gc_pause_total_ms"),
                "gc_pause_max_ms": seen.get("gc_pause_max_ms"),
                "cpu_ms_per_member": round(1000 * used / max(1, len(node.members)), 1),
                **process_memory(node.pid),
                "model_files_mapped": len(maps),
                "model_maps_per_file_max": max(maps.values(), default=0),
            }
        )
    errors = [*link_failures, *failures]
    worst = max(per_process, key=lambda p: p["loop_lag_p99_ms"])
    acked = sum(1 for s in ack.samples if s <= ACK_DEADLINE)
    return {
        "members": len(usernames),
        "processes": len(cluster.nodes),
        "mode": cluster.mode,
        "errors": len(errors),
        "error_samples": errors[:10],
        "acked_within_3s": acked,
        **ack.summary("ack"),
        **answer.summary("answer"),
        "loop_lag_p50_ms": max(p["loop_lag_p50_ms"] for p in per_process),
        "loop_lag_p99_ms": worst["loop_lag_p99_ms"],
        "loop_lag_max_ms": max(p["loop_lag_max_ms"] for p in per_process),
        "wall_s": round(wall, 2),
        # Where the burst's CPU went: the bots, this driver (fake Discord and MAL), the rest
        # (PostgreSQL, the OS); per member, so runs of different sizes compare.
        "cpu_s_bots": round(sum(cpu), 2),
        "cpu_s_driver": round(driver_cpu, 2),
        "cpu_s_machine": round(machine_cpu, 2),
        "cpu_ms_per_member_bots": round(1000 * sum(cpu) / max(1, len(usernames)), 1),
        "answer_cache_hits": sum(p["answer_cache_hits"] or 0 for p in per_process),
        "settle_s": round(settled, 1),
        "mal_requests_before": mal_requests,
        "mal_requests_during": len(cluster.mal.requests) - mal_requests,
        **link.summary("link"),
        "rss_mib_total": round(sum(p["rss_mib"] for p in per_process), 1),
        "pss_mib_total": round(sum(p["pss_mib"] for p in per_process), 1),
        "model_mib": round(_model_files(model) / 2**20, 1),
        "per_process": per_process,
        "cpus": os.cpu_count(),
        "load_average_before": before,
        "load_average_after": after,
        "_numbers": {"ack": ack, "answer": answer, "link": link},
    }
