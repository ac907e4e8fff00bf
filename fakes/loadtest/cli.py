"""``python -m fakes.loadtest`` (``make loadtest LOADTEST_ARGS=...``): the benchmark of issue #14.

    python -m fakes.loadtest [--members 50] [--processes 1] [--json FILE] [--random-items 6000]

``--processes N`` real bot processes on the PostgreSQL server of ``ANIREC_TEST_POSTGRES_URL``
(a private database, dropped afterwards), or on SQLite when it is unset (or ``--sqlite``).
Prints a table and, with ``--json``, writes ``errors``, ``ack_p99_ms``, ``answer_p99_ms``,
``loop_lag_p99_ms`` (worst process), ``processes``, ``members``, p50/p95/max, and per process
loop lag, RSS, PSS and how often each model file is mapped. A benchmark, not a test: it prints
numbers and fails (exit 1) only on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from fakes.discord.catalog import ROOT, SHARED_DATA
from fakes.discord.stack import StackError
from fakes.loadtest.cluster import running_cluster
from fakes.loadtest.data import prepare
from fakes.loadtest.database import describe, load_database
from fakes.loadtest.run import measure
from fakes.loadtest.stats import HEADER

MAX_MEMBERS = 2000
MAX_PROCESSES = 8


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fakes.loadtest", description=__doc__)
    p.add_argument("--members", "--calls", type=int, default=50, help="members, one call each")
    p.add_argument("--processes", type=int, default=1, help="bot processes")
    p.add_argument("--count", type=int, default=10, help="recommendations per page")
    p.add_argument(
        "--shards-per-process",
        type=int,
        default=2,
        help="shards each process runs on one fake Discord (0: one unsharded fake per process)",
    )
    p.add_argument("--model", type=Path, default=ROOT / "artifacts" / "model")
    p.add_argument("--data", type=Path, default=SHARED_DATA)
    p.add_argument(
        "--random-items",
        type=int,
        default=0,
        help="use a random model of the default (full) layer sizes over this many titles",
    )
    p.add_argument(
        "--settle",
        type=float,
        default=2.0,
        help="before the burst, wait until the fake MAL had no request for this long (0: no wait)",
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="no answer cache and no warm-up after /link (RECOMMEND_CACHE_SIZE=0): every "
        "/recommend of the burst runs the model",
    )
    p.add_argument("--json", type=Path, help="write the numbers here")
    p.add_argument("--sqlite", action="store_true", help="SQLite even if a PostgreSQL URL is set")
    p.add_argument("--link-parallel", type=int, default=16, help="/link calls at a time (setup)")
    p.add_argument("--asyncio-debug", action="store_true", help="PYTHONASYNCIODEBUG=1 in bots")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds for everything")
    return p


def report(numbers: dict[str, Any], database: str, note: str) -> str:
    raw = numbers["_numbers"]
    lines = [
        note,
        f"database: {database}; {numbers['processes']} process(es), {numbers['mode']}",
        f"background MAL traffic settled after {numbers['settle_s']} s "
        f"({numbers['mal_requests_before']} requests; {numbers['mal_requests_during']} during)",
        f"\n{numbers['members']} concurrent /recommend in {numbers['wall_s']:.2f} s wall, "
        f"errors: {numbers['errors']}, acknowledged within 3 s: {numbers['acked_within_3s']}",
        HEADER,
        raw["ack"].row("acknowledged (callback)"),
        raw["answer"].row("answered (reply complete)"),
        raw["link"].row("/link (setup), reply"),
        f"\n{'process':<8}{'lag p50':>9}{'lag p99':>9}{'lag max':>9}{'RSS MiB':>9}"
        f"{'PSS MiB':>9}{'shared':>9}{'maps/file':>10}{'CPU s':>8}{'GC ms':>8}{'GC max':>8}",
    ]
    for p in numbers["per_process"]:
        lines.append(
            f"{p['index']:<8}{p['loop_lag_p50_ms']:>9.1f}{p['loop_lag_p99_ms']:>9.1f}"
            f"{p['loop_lag_max_ms']:>9.1f}{p['rss_mib']:>9.1f}{p['pss_mib']:>9.1f}"
            f"{p['shared_mib']:>9.1f}{p['model_maps_per_file_max']:>10}{p['cpu_s']:>8.2f}"
            f"{p['gc_pause_total_ms'] or 0:>8.1f}{p['gc_pause_max_ms'] or 0:>8.1f}"
        )
    lines.append(
        f"CPU during the burst: bots {numbers['cpu_s_bots']:.2f} s "
        f"({numbers['cpu_ms_per_member_bots']:.1f} ms a member), driver and fakes "
        f"{numbers['cpu_s_driver']:.2f} s, whole machine {numbers['cpu_s_machine']:.2f} s; "
        f"answers from the cache: {numbers['answer_cache_hits']}"
    )
    lines.append(
        f"model files {numbers['model_mib']} MiB; load average before/after "
        f"{numbers['load_average_before']} / {numbers['load_average_after']} "
        f"on {numbers['cpus']} CPUs"
    )
    lines += [f"  {e}" for e in numbers["error_samples"]]
    return "\n".join(lines)


async def run(args: argparse.Namespace, workdir: Path) -> int:
    data = args.data if args.data.exists() else None
    model, anime, lists, note = prepare(workdir, args.model, data, args.members, args.random_items)
    usernames = {f"member{i}": name for i, name in enumerate(lists)}
    postgres = None if args.sqlite else os.environ.get("ANIREC_TEST_POSTGRES_URL")
    extra = {"PYTHONASYNCIODEBUG": "1"} if args.asyncio_debug else {}
    if args.cold:
        extra |= {"RECOMMEND_CACHE_SIZE": "0", "RECOMMEND_PREFETCH": "false"}
    async with (
        load_database(postgres, workdir) as url,
        running_cluster(
            processes=args.processes,
            model_path=model,
            anime=anime,
            lists=lists,
            members=list(usernames),
            database_url=url,
            workdir=workdir,
            shards_per_process=args.shards_per_process,
            extra_env=extra,
        ) as cluster,
    ):
        numbers = await measure(
            cluster,
            usernames,
            count=args.count,
            link_parallel=args.link_parallel,
            model=model,
            quiet=args.settle,
        )
    print(report(numbers, describe(url), note))
    if args.json is not None:
        out = {k: v for k, v in numbers.items() if not k.startswith("_")}
        out |= {"database": "postgresql" if postgres else "sqlite", "model": note}
        out |= {"cache": "cold" if args.cold else "warm"}
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 1 if numbers["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not 1 <= args.members <= MAX_MEMBERS:
        p.error(f"--members must be between 1 and {MAX_MEMBERS}")
    if not 1 <= args.processes <= MAX_PROCESSES:
        p.error(f"--processes must be between 1 and {MAX_PROCESSES}")
    with tempfile.TemporaryDirectory(prefix="anirec-load-") as tmp:
        try:
            return asyncio.run(asyncio.wait_for(run(args, Path(tmp)), args.timeout))
        except StackError as exc:
            print(f"load test failed: {exc}", file=sys.stderr)
            return 1
        except TimeoutError:
            print(f"load test did not finish within {args.timeout:.0f} s", file=sys.stderr)
            return 1
