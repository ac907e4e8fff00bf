"""Load measurement (not a test): N concurrent ``/recommend`` calls through the fake Discord.

The real bot runs as a separate process (``python -m bot``), so what the fake measures is the
bot's own event loop: reply latency per call (acknowledgement, and the final answer), gateway
pings (op 1 → the bot's heartbeat, answered from its loop: the round trip is loop lag plus
loopback) sampled continuously while the calls run, and heartbeats arriving late. Everything is
on 127.0.0.1, bounded in count (``--calls`` ≤ 500) and time (``--timeout``).

    python -m fakes.loadtest [--calls 50] [--count 10] [--model artifacts/model]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fakes.discord import InteractionResult
from fakes.discord.catalog import (
    CATALOG,
    ROOT,
    SHARED_DATA,
    Anime,
    ListEntries,
    load_anime_csv,
    load_rating_csv,
    pick_users,
    popular_ids,
)
from fakes.discord.stack import (
    Stack,
    StackError,
    artifact_catalog,
    build_tiny_model,
    local_stack,
)

MAX_CALLS = 500
STATUSES = ("completed", "completed", "completed", "watching", "dropped", "plan_to_watch")


@dataclass
class Numbers:
    """Samples in seconds, summarised in milliseconds."""

    samples: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.samples.append(value)

    def row(self, name: str) -> str:
        if not self.samples:
            return f"{name:<34}{'-':>9}{'-':>9}{'-':>9}{0:>7}"
        ordered = sorted(self.samples)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return (
            f"{name:<34}{1000 * statistics.median(ordered):>9.1f}{1000 * p95:>9.1f}"
            f"{1000 * ordered[-1]:>9.1f}{len(ordered):>7}"
        )


def random_lists(catalog: list[Anime], count: int, seed: int = 0) -> dict[str, ListEntries]:
    rng = random.Random(seed)
    ids = [a.anime_id for a in catalog]
    lists = {}
    for i in range(count):
        chosen = rng.sample(ids, k=min(len(ids), rng.randint(8, 25)))
        lists[f"loaduser{i}"] = [
            (anime_id, rng.choice((0, *range(4, 11))), rng.choice(STATUSES)) for anime_id in chosen
        ]
    return lists


def prepare(workdir: Path, model: Path, data: Path | None, calls: int, random_items: int):
    """The model (trained, or random weights), the anime, and one MAL list per member."""
    corpus: list[Anime] | None = None
    if not random_items and (model / "manifest.json").exists():
        corpus = artifact_catalog(model)
        note = f"model: {model} ({len(corpus):,} titles)"
    titles: dict[int, Anime] = {}
    lists: dict[str, ListEntries] = {}
    if data is not None and (data / "rating.csv").exists():
        titles, lists = load_anime_csv(data / "anime.csv"), load_rating_csv(data / "rating.csv")
    if corpus is None:
        size = random_items or 400
        ids = popular_ids(lists, size) if lists else [a.anime_id for a in CATALOG]
        known = {a.anime_id: a for a in CATALOG} | titles
        corpus = [known.get(i, Anime(i, f"Anime {i}")) for i in ids]
        model = build_tiny_model(workdir / "random-model", corpus, full_size=bool(random_items))
        kind = "full-size" if random_items else "tiny"
        note = f"model: {kind} random-weight model over {len(corpus)} titles"
    corpus_ids = {a.anime_id for a in corpus}
    users = pick_users(lists, corpus_ids, calls, min_entries=10, max_entries=200) if lists else []
    if len(users) == calls:
        chosen = {u: lists[u] for u in users}
        note += f"; {calls} users from {data}/rating.csv"
    else:
        chosen = random_lists(corpus, calls)
        note += f"; {calls} random lists over the corpus"
    known = {a.anime_id: a for a in corpus} | titles
    needed = corpus_ids | {e[0] for entries in chosen.values() for e in entries}
    anime = [known.get(i, Anime(i, f"Anime {i}")) for i in sorted(needed)]
    return model, anime, chosen, note


async def link_all(stack: Stack, usernames: dict[str, str], parallel: int = 8) -> Numbers:
    """Every member runs /link with their MAL name (``parallel`` at a time)."""
    gate = asyncio.Semaphore(parallel)
    latency = Numbers()

    async def one(member_name: str, mal_name: str) -> None:
        async with gate:
            res = await stack.discord.slash(
                stack.guild, stack.members[member_name], "link", username=mal_name, within=60
            )
            latency.add(res.elapsed_s)

    await asyncio.gather(*(one(m, u) for m, u in usernames.items()))
    return latency


async def ping_probe(stack: Stack, out: Numbers, stop: asyncio.Event, every: float) -> None:
    while not stop.is_set():
        try:
            out.add(await stack.discord.ping(within=10))
        except TimeoutError:
            out.add(10.0)
        await asyncio.sleep(every)


async def measure(args: argparse.Namespace, workdir: Path) -> int:
    data = args.data if args.data.exists() else None
    model, anime, lists, note = prepare(workdir, args.model, data, args.calls, args.random_items)
    print(note)
    members = {f"member{i}": name for i, name in enumerate(lists)}
    async with local_stack(
        model_path=model,
        anime=anime,
        lists=lists,
        members=list(members),
        workdir=workdir,
        heartbeat_interval=0.25,
        extra_env={"PYTHONASYNCIODEBUG": "1"} if args.asyncio_debug else None,
    ) as stack:
        link = await link_all(stack, members)
        print(f"linked {len(members)} members")

        idle = Numbers()
        for _ in range(20):
            idle.add(await stack.discord.ping())
            await asyncio.sleep(0.02)

        pings, stop = Numbers(), asyncio.Event()
        probe = asyncio.create_task(ping_probe(stack, pings, stop, every=0.02))
        ack, reply = Numbers(), Numbers()
        failures: list[str] = []

        async def recommend(member_name: str) -> None:
            try:
                res: InteractionResult = await stack.discord.slash(
                    stack.guild,
                    stack.members[member_name],
                    "recommend",
                    count=args.count,
                    within=60,
                )
            except AssertionError as exc:  # InteractionTimeout
                failures.append(f"{member_name}: {exc}")
                return
            ack.add(res.ack_s or 0.0)
            reply.add(res.elapsed_s)
            if not res.embeds:
                failures.append(f"{member_name}: no embed: {res.text[:120]!r}")

        started = time.perf_counter()
        await asyncio.gather(*(recommend(m) for m in members))
        wall = time.perf_counter() - started
        stop.set()
        await probe

        beats = Numbers(stack.discord.heartbeats.lags(since=started))
        print(f"\n{len(members)} concurrent /recommend count:{args.count} in {wall:.2f} s wall")
        print(f"{'':<34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'n':>7}")
        print(ack.row("acknowledged (callback)"))
        print(reply.row("answered (reply complete)"))
        print(idle.row("gateway ping, idle"))
        print(pings.row("gateway ping, under load"))
        print(beats.row("heartbeat lateness, under load"))
        print(link.row("/link (setup), reply"))
        if args.asyncio_debug:
            slow = [line for line in stack.bot.log_tail(100_000).splitlines() if " took " in line]
            print(f"\nslow callbacks in the bot's loop (asyncio debug): {len(slow)}")
            for line in slow[:15]:
                print(f"  {line[:120]} … {line[-90:]}")
        if failures:
            print(f"\n{len(failures)} failed:")
            for failure in failures[:10]:
                print(f"  {failure}")
            return 1
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.loadtest", description=__doc__)
    parser.add_argument("--calls", type=int, default=50, help=f"concurrent calls (≤ {MAX_CALLS})")
    parser.add_argument("--count", type=int, default=10, help="recommendations per call")
    parser.add_argument("--model", type=Path, default=ROOT / "artifacts" / "model")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument(
        "--random-items",
        type=int,
        default=0,
        help="use a random model of the default (full) layer sizes over this many titles",
    )
    parser.add_argument(
        "--asyncio-debug",
        action="store_true",
        help="run the bot with PYTHONASYNCIODEBUG=1 and list its slow callbacks (≥ 100 ms)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for everything")
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= MAX_CALLS:
        parser.error(f"--calls must be between 1 and {MAX_CALLS}")
    with tempfile.TemporaryDirectory(prefix="anirec-load-") as tmp:
        try:
            return asyncio.run(asyncio.wait_for(measure(args, Path(tmp)), args.timeout))
        except StackError as exc:
            print(f"load test failed: {exc}", file=sys.stderr)
            return 1
        except TimeoutError:
            print(f"load test did not finish within {args.timeout:.0f} s", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
