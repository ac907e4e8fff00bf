"""Memory across a live model swap (a measurement, not a test): the bot's own pool and watcher
(:mod:`bot.services.modelwatch`) swap one serving-size model for another while requests run on
the old one; resident memory (``VmRSS``) is printed before, during (both models mapped) and
after the old one's last call returned.

    python -m fakes.swapbench [--items 6000] [--calls 64] [--json out.json]

Two random-weight artifacts of the default (serving-size) layers over ``--items`` titles are
written to a temporary directory, MODEL_PATH a symlink replaced the way ``python -m training
promote`` does (``os.replace``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fakes.discord.catalog import Anime
from fakes.discord.stack import build_tiny_model, migrate, sqlite_url

MIB = 1 << 20


def rss_mib() -> float:
    """Resident set size of this process (``/proc/self/status`` VmRSS), in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / MIB
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def promote(version: Path, link: Path) -> None:
    staged = link.with_name(link.name + ".new")
    staged.symlink_to(version.resolve(), target_is_directory=True)
    os.replace(staged, link)


async def measure(items: int, calls: int, root: Path) -> dict[str, Any]:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from bot.db.engine import create_engine
    from bot.services.catalog import CatalogService
    from bot.services.modelwatch import ModelWatcher, fingerprint, load_recommender
    from bot.services.pool import RecommenderPool
    from model import ProfileEntry
    from model.recommender.query import RecommendationQuery

    catalog_v1 = [Anime(i + 1, f"Title {i + 1}") for i in range(items)]
    catalog_v2 = [Anime(i + 1 + items // 10, f"Title {i + 1 + items // 10}") for i in range(items)]
    v1 = build_tiny_model(root / "models" / "v1", catalog_v1, full_size=True, seed=1)
    v2 = build_tiny_model(root / "models" / "v2", catalog_v2, full_size=True, seed=2)
    link = root / "model"
    link.symlink_to(v1, target_is_directory=True)
    url = sqlite_url(root / "bench.db")
    await migrate(url)
    engine = create_engine(url)
    catalog = CatalogService(async_sessionmaker(engine, expire_on_commit=False))
    rng = random.Random(0)
    overlap = range(items // 10 + 1, items + 1)  # titles both models know
    profiles = [
        [ProfileEntry(aid, rng.randint(5, 10)) for aid in rng.sample(overlap, 150)]
        for _ in range(calls)
    ]
    query = RecommendationQuery(20)
    gc.collect()
    baseline = rss_mib()
    pool = RecommenderPool(await asyncio.to_thread(load_recommender, link), threads=2)
    watcher = ModelWatcher(link, pool, catalog, loaded=fingerprint(link))
    await asyncio.gather(*(pool.recommend(p, query) for p in profiles))
    weight_mib = pool.require().artifact.weight_bytes / MIB
    one_model = rss_mib()

    # Members keep asking while the new model is promoted, loaded and swapped in.
    stop = asyncio.Event()
    served = 0

    async def traffic() -> None:
        nonlocal served
        while not stop.is_set():
            await asyncio.gather(*(pool.recommend(p, query) for p in profiles[:8]))
            served += 8

    running = asyncio.create_task(traffic())
    await asyncio.sleep(0.2)
    promote(v2, link)
    started = time.perf_counter()
    result = await watcher.check()
    swap_seconds = time.perf_counter() - started
    retiring_at_swap = pool.retiring
    both = rss_mib()
    await asyncio.sleep(0.5)
    stop.set()
    await running
    deadline = time.monotonic() + 120
    while pool.released < 1 and time.monotonic() < deadline:  # noqa: ASYNC110 (a counter)
        await asyncio.sleep(0.05)
    after = rss_mib()
    await asyncio.gather(*(pool.recommend(p, query) for p in profiles))
    after_warm = rss_mib()
    await pool.close()
    await engine.dispose()
    return {
        "items": items,
        "weights_mib_per_model": round(weight_mib, 1),
        "rss_mib": {
            "before_any_model": round(baseline, 1),
            "one_model_serving": round(one_model, 1),
            "right_after_swap": round(both, 1),
            "after_old_released": round(after, 1),
            "after_old_released_new_warm": round(after_warm, 1),
        },
        "old_model_calls_running_at_swap": retiring_at_swap,
        "old_model_released": pool.released,
        "calls_served_during_swap": served,
        "swap": {"outcome": result.outcome, "seconds": round(swap_seconds, 3)},
        "new_titles_in_catalog": result.new_titles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.swapbench", description=__doc__)
    parser.add_argument("--items", type=int, default=6000, help="titles per model (6000)")
    parser.add_argument("--calls", type=int, default=64, help="/recommend calls per phase (64)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="anirec-swap-") as tmp:
        numbers = asyncio.run(measure(args.items, args.calls, Path(tmp)))
    text = json.dumps(numbers, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
