"""``python -m training discover``: gather public MyAnimeList usernames from Jikan v4 into the
file ``python -m training collect --usernames`` reads.

Sources (``--sources``, in this order, until ``--limit`` new names are found):

- ``updates``: members who recently added or updated one of the ``--top-pages`` × 25 most popular
  anime (Jikan ``/top/anime`` then ``/anime/{id}/userupdates``): active members, today's lists;
- ``search``: MyAnimeList's user search for each ``--query`` (Jikan ``/users``);
- ``random``: ``--random`` random members (Jikan ``/random/users``).

The output file gets one username per line, appended and flushed as each is found (an interrupted
run keeps what it found); names already in the file, repeated, or not valid MAL usernames are
skipped (case-insensitive, the collector's own rule). Politeness is the client's
(:mod:`common.jikan.client`): Jikan's published 3 requests per second and 60 per minute, backoff
on 429 and 5xx. A source item that still fails (a 404 anime, Jikan down) is logged and skipped;
a source stops after ``MAX_FAILURES_IN_A_ROW`` failures in a row.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from common.jikan import JikanClient, JikanError, Page
from common.logs import configure_logging
from common.mal.client import USERNAME_RE
from common.settings import JikanSettings, SettingsError, load_settings

log = logging.getLogger(__name__)
SOURCES = ("updates", "search", "random")
DEFAULT_QUERIES = ("anime", "otaku", "kun", "chan", "senpai", "neko", "kai", "ryu")
"""Common fragments of MAL usernames: each search returns members whose name contains it."""
MAX_FAILURES_IN_A_ROW = 5
MAX_PAGES = 20


@dataclass
class DiscoverSummary:
    found: dict[str, int] = field(default_factory=dict)  # source → new names
    already_known: int = 0
    invalid: int = 0
    failed_requests: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.found.values())

    def line(self) -> str:
        by_source = ", ".join(f"{k} {v}" for k, v in self.found.items()) or "none"
        return (
            f"{self.total} new usernames ({by_source}); {self.already_known} already known, "
            f"{self.invalid} invalid, {self.failed_requests} failed requests; "
            f"{self.seconds:.1f}s"
        )


def known_usernames(path: Path) -> set[str]:
    """Names already in ``path`` (case-folded), as the collector reads it."""
    if not path.exists():
        return set()
    names: set[str] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        name = raw.strip()
        if name and not name.startswith("#"):
            names.add(name.lower())
    return names


class Discoverer:
    """Walks the sources and appends new names to ``out`` (see the module docstring)."""

    def __init__(self, client: JikanClient, out: IO[str], known: set[str], limit: int) -> None:
        self.client = client
        self.out = out
        self.known = known
        self.limit = limit
        self.summary = DiscoverSummary()

    @property
    def done(self) -> bool:
        return self.summary.total >= self.limit

    def add(self, name: str, source: str) -> None:
        if self.done:
            return
        if not USERNAME_RE.fullmatch(name):
            self.summary.invalid += 1
            return
        if name.lower() in self.known:
            self.summary.already_known += 1
            return
        self.known.add(name.lower())
        self.out.write(name + "\n")
        self.out.flush()
        self.summary.found[source] = self.summary.found.get(source, 0) + 1

    async def _pages(
        self, fetch: Callable[[int], Awaitable[Page[str]]], what: str
    ) -> AsyncIterator[Page[str]]:
        for page in range(1, MAX_PAGES + 1):
            try:
                result = await fetch(page)
            except JikanError as exc:
                self.summary.failed_requests += 1
                log.warning("discover: %s page %d skipped: %s", what, page, exc)
                return
            yield result
            if not result.has_next_page or self.done:
                return

    async def updates(self, top_pages: int) -> None:
        failures = 0
        for top_page in range(1, top_pages + 1):
            try:
                top = await self.client.top_anime(top_page)
            except JikanError as exc:
                self.summary.failed_requests += 1
                log.warning("discover: top anime page %d skipped: %s", top_page, exc)
                return
            for anime_id in top.items:
                if self.done or failures >= MAX_FAILURES_IN_A_ROW:
                    return
                # The first page of updaters only: the most recent members, one request.
                try:
                    updaters = await self.client.anime_user_updates(anime_id)
                except JikanError as exc:
                    self.summary.failed_requests += 1
                    failures += 1
                    log.warning("discover: updaters of anime %d skipped: %s", anime_id, exc)
                    continue
                failures = 0
                for name in updaters.items:
                    self.add(name, "updates")
            if not top.has_next_page:
                return

    async def search(self, queries: tuple[str, ...]) -> None:
        for query in queries:
            if self.done:
                return
            fetch = functools.partial(self.client.search_users, query)
            async for page in self._pages(fetch, f"user search {query!r}"):
                for name in page.items:
                    self.add(name, "search")

    async def random(self, count: int) -> None:
        failures = 0
        for _ in range(count):
            if self.done or failures >= MAX_FAILURES_IN_A_ROW:
                return
            try:
                name = await self.client.random_user()
            except JikanError as exc:
                self.summary.failed_requests += 1
                failures += 1
                log.warning("discover: a random user skipped: %s", exc)
                continue
            failures = 0
            self.add(name, "random")


async def discover(
    client: JikanClient,
    out: Path,
    *,
    limit: int,
    sources: tuple[str, ...] = SOURCES,
    top_pages: int = 1,
    queries: tuple[str, ...] = DEFAULT_QUERIES,
    random_users: int = 10,
) -> DiscoverSummary:
    """Append up to ``limit`` new usernames to ``out``; returns what was found."""
    started = time.perf_counter()
    known = known_usernames(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        finder = Discoverer(client, handle, known, limit)
        for source in sources:
            if finder.done:
                break
            if source == "updates":
                await finder.updates(top_pages)
            elif source == "search":
                await finder.search(queries)
            elif source == "random":
                await finder.random(random_users)
    finder.summary.seconds = time.perf_counter() - started
    return finder.summary


def _sources(text: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SOURCES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown source(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(SOURCES)}"
        )
    return chosen


def run_discover(args: argparse.Namespace) -> int:
    """The ``discover`` sub-command."""
    try:
        settings = load_settings(JikanSettings, env_file=args.env_file)
    except SettingsError as exc:
        print(f"discover: {exc}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, [])
    summary = DiscoverSummary()

    async def main() -> DiscoverSummary:
        async with JikanClient(
            settings.jikan_api_base_url,
            timeout=settings.jikan_timeout_seconds,
            max_retries=settings.jikan_max_retries,
        ) as client:
            return await discover(
                client,
                args.out,
                limit=args.limit,
                sources=args.sources,
                top_pages=args.top_pages,
                queries=tuple(args.query) if args.query else DEFAULT_QUERIES,
                random_users=args.random,
            )

    try:
        summary = asyncio.run(main())
    except KeyboardInterrupt:
        print(f"discover: interrupted; the names found so far are in {args.out}", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"discover: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"discover: {summary.line()} → {args.out}")
    if summary.total == 0 and summary.failed_requests:
        print(
            "discover: nothing found and requests failed (is JIKAN_API_BASE_URL reachable?)",
            file=sys.stderr,
        )
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "discover",
        help="gather public MAL usernames from Jikan v4 for `collect`",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="usernames file (appended; created if missing)"
    )
    parser.add_argument("--limit", type=int, default=1000, help="new usernames to find (1000)")
    parser.add_argument(
        "--sources",
        type=_sources,
        default=SOURCES,
        help=f"comma-separated, in order (default {','.join(SOURCES)})",
    )
    parser.add_argument(
        "--top-pages", type=int, default=1, help="pages of 25 popular anime for updates (1)"
    )
    parser.add_argument(
        "--query", action="append", help="a user search query (repeatable; default: a few)"
    )
    parser.add_argument("--random", type=int, default=10, help="random users to draw (10)")
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    parser.add_argument("--log-level", default="WARNING")
    parser.set_defaults(handler=run_discover)
