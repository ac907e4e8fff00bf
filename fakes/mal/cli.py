"""``python -m fakes.mal``: a fake MAL as a process, backed by Kaggle-layout CSVs.

It prints its base URL on the first line of stdout and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from contextlib import suppress
from pathlib import Path

import fakes.mal
from fakes.mal.server import FakeMal


async def _serve(fake: FakeMal, host: str, port: int) -> None:
    base_url = await fake.start(host, port)
    print(base_url, flush=True)
    print(f"{len(fake.usernames)} users, {len(fake.anime)} anime", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.mal",
        description=fakes.mal.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--ratings", required=True, help="Kaggle-layout rating.csv")
    parser.add_argument("--anime", help="Kaggle-layout anime.csv (titles, genres, types)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--private", help="comma-separated usernames with private lists")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--client-id", help="accept only this X-MAL-CLIENT-ID (default: any)")
    parser.add_argument("--write-usernames", help="write every username to this file")
    args = parser.parse_args(argv)
    fake = FakeMal.from_kaggle(
        args.ratings,
        args.anime,
        private=[n for n in (args.private or "").split(",") if n],
        latency=args.latency,
        client_id=args.client_id,
    )
    if args.write_usernames:
        Path(args.write_usernames).write_text("\n".join(fake.usernames) + "\n", encoding="utf-8")
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve(fake, args.host, args.port))
    return 0
