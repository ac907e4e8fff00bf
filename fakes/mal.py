"""A local fake of the MyAnimeList API v2 (aiohttp), for tests, demos and load tests.

It serves the two endpoints anirec uses, with MAL's JSON shapes:

- ``GET /v2/users/{name}/animelist?fields=list_status&limit=..&offset=..&sort=..&nsfw=..`` →
  ``{"data": [{"node": {"id", "title", "main_picture"}, "list_status": {...}}],
  "paging": {"next": <absolute URL>, "previous": ...}}``. ``limit`` defaults to 100 and may
  be at most 1000 (else 400), ``list_status`` appears only when asked for in ``fields``,
  ``sort=list_updated_at|list_score|anime_title``, titles rated nsfw "black" are hidden unless
  ``nsfw=true``. Unknown user → 404, private list → 403, bad username → 400.
- ``GET /v2/anime/{id}?fields=...`` → ``{"id", "title", "main_picture", <asked fields>}``, or 404.

Every request needs a non-empty ``X-MAL-CLIENT-ID`` header (or exactly ``client_id`` when one
is given), else 401, as MAL does. Errors have MAL's body, ``{"message": "", "error": "..."}``.

In-process use (tests)::

    async with FakeMal.running(lists={"alice": [(1, 9), (5114, 10, "watching")]},
                               anime={1: {"title": "Cowboy Bebop"}}) as fake:
        fake.base_url                     # "http://127.0.0.1:PORT/v2"
        fake.add_user("bob", entries, private=True)
        fake.rate_limit(times=2, retry_after="0.1", match="/animelist")
        fake.requests                     # [RecordedRequest(method, path, query, headers, at)]

List entries given to ``lists``/``add_user`` may be ``(anime_id, score[, status])`` tuples,
objects with ``anime_id``/``score``/``status`` attributes (``ProfileEntry``, ``MalListEntry``)
or dicts with ``anime_id`` and any of ``status, score, num_episodes_watched, is_rewatching,
updated_at, title``. Usernames are case-insensitive, as on MAL.

Faults (each consumed by the next ``times`` requests whose path+query contains ``match``,
or by any request when ``match`` is None), in the order injected:
``rate_limit`` (429 + ``Retry-After``, seconds or an HTTP date), ``server_error`` (500/502/
503), ``slow`` (answers after ``delay`` s), ``truncated_json`` (200, body cut in half),
``malformed_json`` (200, an HTML page), ``without_data`` (200 without ``data``/``id``),
``throttle`` (403 "forbidden" on anything, as MAL does when it throttles), ``disconnect``
(connection closed without an answer). ``latency`` slows every request; ``clear_faults()``
drops the queue and ``pending_faults`` lists what no request has met yet.

As a process (demos, load tests), backed by a Kaggle-layout ``rating.csv`` (``user_id,
anime_id,rating``, −1 = unscored; users become ``user<ID>``, entries ``completed``) and
``anime.csv``::

    python -m fakes.mal --ratings rating.csv --anime anime.csv --port 8765 \\
        [--private user3,user7] [--latency 0.05] [--write-usernames names.txt]

It prints its base URL on the first line of stdout and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import signal
import sys
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

USERNAME_RE = re.compile(r"[A-Za-z0-9_-]{2,16}")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
STATUSES = ("watching", "completed", "on_hold", "dropped", "plan_to_watch")
FAULT_KINDS = frozenset(
    {
        "rate_limit",
        "server_error",
        "slow",
        "truncated_json",
        "malformed_json",
        "without_data",
        "throttle",
        "disconnect",
    }
)
_EPOCH = datetime(2017, 6, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it (before any fault or auth check)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic()

    @property
    def client_id(self) -> str | None:
        """The ``X-MAL-CLIENT-ID`` header sent (header names are case-insensitive)."""
        for key, value in self.headers.items():
            if key.lower() == "x-mal-client-id":
                return value
        return None


@dataclass
class Fault:
    kind: str
    times: int
    match: str | None = None
    retry_after: str | None = None
    delay: float = 0.0
    status: int = 500


# (anime_id, status, score, num_episodes_watched, is_rewatching, updated_at ISO) — tuples keep
# a 500k-entry Kaggle file cheap in memory.
_Entry = tuple[int, str, int, int, bool, str]


def _iso(value: object, fallback: datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, str) and value:
        return value
    return fallback.isoformat(timespec="seconds")


class FakeMal:
    """The fake MAL API; see the module docstring."""

    def __init__(
        self,
        lists: Mapping[str, Iterable[Any]] | None = None,
        anime: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]] | None = None,
        *,
        private: Iterable[str] = (),
        client_id: str | None = None,
        latency: float = 0.0,
    ) -> None:
        self._lists: dict[str, list[_Entry]] = {}
        self._names: dict[str, str] = {}
        self._private: set[str] = set()
        self.anime: dict[int, dict[str, Any]] = {}
        self.client_id = client_id
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        if isinstance(anime, Mapping):
            for anime_id, fields in anime.items():
                self.add_anime(int(anime_id), **dict(fields))
        elif anime is not None:
            for fields in anime:
                fields = dict(fields)
                self.add_anime(int(fields.pop("id", fields.pop("anime_id", 0))), **fields)
        for name, entries in (lists or {}).items():
            self.add_user(name, entries)
        for name in private:
            self.set_private(name)

    # --- data -------------------------------------------------------------------------------

    def add_user(self, name: str, entries: Iterable[Any] = (), *, private: bool = False) -> None:
        """Create or replace ``name``'s list (see the module docstring for entry forms)."""
        key = name.lower()
        self._names[key] = name
        self._lists[key] = [self._entry(item, i) for i, item in enumerate(entries)]
        self.set_private(name, private)

    def _entry(self, item: Any, index: int) -> _Entry:
        fallback = _EPOCH - timedelta(hours=index)
        if isinstance(item, tuple):
            anime_id, score, *rest = item
            status = rest[0] if rest else "completed"
            return (int(anime_id), status, int(score), 0, False, _iso(None, fallback))

        def get(key: str, default: Any = None) -> Any:
            if isinstance(item, Mapping):
                return item.get(key, default)
            return getattr(item, key, default)

        status = get("status") or "completed"
        return (
            int(get("anime_id")),
            str(status),
            int(get("score", 0) or 0),
            int(get("num_episodes_watched", 0) or 0),
            bool(get("is_rewatching", False)),
            _iso(get("updated_at"), fallback),
        )

    def remove_user(self, name: str) -> None:
        """The user no longer exists (404)."""
        self._lists.pop(name.lower(), None)
        self._private.discard(name.lower())

    def set_private(self, name: str, private: bool = True) -> None:
        """Make ``name``'s list private (403) or public again."""
        if private:
            self._private.add(name.lower())
        else:
            self._private.discard(name.lower())

    @property
    def usernames(self) -> list[str]:
        return [self._names[key] for key in self._lists]

    def add_anime(self, anime_id: int, title: str | None = None, **fields: Any) -> None:
        """Add or replace one anime; missing fields get plausible defaults."""
        record: dict[str, Any] = {
            "id": anime_id,
            "title": title or f"Anime {anime_id}",
            "main_picture": {
                "medium": f"https://cdn.myanimelist.net/images/anime/{anime_id}.jpg",
                "large": f"https://cdn.myanimelist.net/images/anime/{anime_id}l.jpg",
            },
            "alternative_titles": {"synonyms": [], "en": "", "ja": ""},
            "media_type": "tv",
            "genres": [],
            "mean": None,
            "num_list_users": 0,
            "nsfw": "white",
            "start_season": None,
            "num_episodes": 0,
        }
        for key, value in fields.items():
            if key == "genres":
                value = [
                    g if isinstance(g, Mapping) else {"id": i + 1, "name": str(g)}
                    for i, g in enumerate(value)
                ]
            record[key] = value
        self.anime[anime_id] = record

    @classmethod
    def from_kaggle(
        cls, ratings: str | Path, anime: str | Path | None = None, **kwargs: Any
    ) -> FakeMal:
        """Lists from a Kaggle ``rating.csv`` (users ``user<ID>``), details from ``anime.csv``."""
        fake = cls(**kwargs)
        episodes: dict[int, int] = {}
        if anime is not None:
            with open(anime, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    anime_id = int(row["anime_id"])
                    genres = [g.strip() for g in (row.get("genre") or "").split(",") if g.strip()]
                    count = int(row["episodes"]) if row.get("episodes", "").isdigit() else 0
                    episodes[anime_id] = count
                    fake.add_anime(
                        anime_id,
                        row["name"],
                        media_type=(row.get("type") or "unknown").lower() or "unknown",
                        genres=genres,
                        mean=float(row["rating"]) if row.get("rating") else None,
                        num_list_users=int(row["members"]) if row.get("members") else 0,
                        nsfw="black" if "Hentai" in genres else "white",
                        num_episodes=count,
                    )
        lists: dict[str, list[_Entry]] = {}
        with open(ratings, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for user_id, raw_id, rating in reader:
                aid = int(raw_id)
                entries = lists.setdefault(f"user{user_id}", [])
                # Deterministic, distinct timestamps so sort=list_updated_at is meaningful.
                stamp = _EPOCH - timedelta(
                    minutes=(zlib.crc32(f"{user_id}:{aid}".encode()) % 10**6)
                )
                entries.append(
                    (aid, "completed", max(int(rating), 0), episodes.get(aid, 0), False,
                     stamp.isoformat(timespec="seconds"))
                )  # fmt: skip
        for name, entries in lists.items():
            fake._names[name] = name
            fake._lists[name] = entries
        return fake

    # --- faults -----------------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        match: str | None = None,
        retry_after: str | None = None,
        delay: float = 0.0,
        status: int = 500,
    ) -> None:
        """Queue a fault of ``kind`` (one of :data:`FAULT_KINDS`) for the next matching requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        self._faults.append(Fault(kind, times, match, retry_after, delay, status))

    def rate_limit(self, times: int = 1, retry_after: str | None = "1", match: str | None = None):
        self.inject("rate_limit", times=times, retry_after=retry_after, match=match)

    def server_error(self, times: int = 1, status: int = 500, match: str | None = None) -> None:
        self.inject("server_error", times=times, status=status, match=match)

    def slow(self, delay: float, times: int = 1, match: str | None = None) -> None:
        self.inject("slow", times=times, delay=delay, match=match)

    def truncated_json(self, times: int = 1, match: str | None = None) -> None:
        self.inject("truncated_json", times=times, match=match)

    def malformed_json(self, times: int = 1, match: str | None = None) -> None:
        self.inject("malformed_json", times=times, match=match)

    def without_data(self, times: int = 1, match: str | None = None) -> None:
        self.inject("without_data", times=times, match=match)

    def throttle(self, times: int = 1, match: str | None = None) -> None:
        self.inject("throttle", times=times, match=match)

    def disconnect(self, times: int = 1, match: str | None = None) -> None:
        self.inject("disconnect", times=times, match=match)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Injected faults not yet met by a request."""
        return list(self._faults)

    def _take_fault(self, target: str) -> Fault | None:
        for fault in self._faults:
            if fault.match is None or fault.match in target:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def requests_to(self, fragment: str) -> list[RecordedRequest]:
        """Logged requests whose path contains ``fragment``."""
        return [r for r in self.requests if fragment in r.path]

    # --- serving ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v2/users/{name}/animelist", self._animelist)
        app.router.add_get("/v2/anime/{anime_id}", self._anime)
        app.middlewares.append(self._middleware)
        return app

    @classmethod
    @asynccontextmanager
    async def running(
        cls,
        lists: Mapping[str, Iterable[Any]] | None = None,
        anime: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **kwargs: Any,
    ) -> AsyncIterator[FakeMal]:
        """Start a fake on ``host:port`` (0 = any free port) for the ``async with`` block."""
        fake = cls(lists, anime, **kwargs)
        await fake.start(host, port)
        try:
            yield fake
        finally:
            await fake.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in the current event loop; returns (and sets) ``base_url``."""
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        bound = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://{host}:{bound}/v2"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                time.monotonic(),
            )
        )
        given = request.headers.get("X-MAL-CLIENT-ID", "")
        if not given or (self.client_id is not None and given != self.client_id):
            return _error(401, "invalid_token")
        if self.latency:
            await asyncio.sleep(self.latency)
        fault = self._take_fault(request.path_qs)
        if fault is None:
            return await handler(request)
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
            return await handler(request)
        if fault.kind == "rate_limit":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return _error(429, "too_many_requests", headers=headers)
        if fault.kind == "server_error":
            return web.Response(
                status=fault.status, text="<html><body>Server Error</body></html>",
                content_type="text/html",
            )  # fmt: skip
        if fault.kind == "throttle":
            return _error(403, "forbidden")
        if fault.kind == "malformed_json":
            return web.Response(
                text="<html><body>Please wait...</body></html>", content_type="application/json"
            )
        if fault.kind == "without_data":
            body: dict[str, Any] = (
                {"paging": {}} if "/animelist" in request.path else {"message": ""}
            )
            return web.json_response(body)
        if fault.kind == "disconnect":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # aiohttp drops the request without answering
        response = await handler(request)  # truncated_json
        assert isinstance(response, web.Response) and response.body is not None
        whole = bytes(response.body)  # type: ignore[arg-type]
        return web.Response(body=whole[: len(whole) // 2], content_type="application/json")

    async def _animelist(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if not USERNAME_RE.fullmatch(name):
            return _error(400, "invalid_parameters")
        key = name.lower()
        if key not in self._lists:
            return _error(404, "not_found")
        if key in self._private:
            return _error(403, "forbidden")
        query = request.query
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
            offset = int(query.get("offset", 0))
        except ValueError:
            return _error(400, "invalid_parameters")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return _error(400, "invalid_parameters")
        fields = set(query.get("fields", "").split(","))
        show_nsfw = query.get("nsfw", "").lower() in ("true", "1")
        entries = self._lists[key]
        if not show_nsfw:
            entries = [e for e in entries if self._nsfw(e[0]) != "black"]
        sort = query.get("sort")
        if sort == "list_updated_at":
            entries = sorted(entries, key=lambda e: e[5], reverse=True)
        elif sort == "list_score":
            entries = sorted(entries, key=lambda e: e[2], reverse=True)
        elif sort == "anime_title":
            entries = sorted(entries, key=lambda e: self._title(e[0]))
        data = [
            self._list_item(e, "list_status" in fields) for e in entries[offset : offset + limit]
        ]
        paging: dict[str, str] = {}
        if offset + limit < len(entries):
            paging["next"] = str(request.url.update_query(offset=offset + limit, limit=limit))
        if offset > 0:
            paging["previous"] = str(
                request.url.update_query(offset=max(offset - limit, 0), limit=limit)
            )
        return web.json_response({"data": data, "paging": paging})

    def _nsfw(self, anime_id: int) -> str:
        record = self.anime.get(anime_id)
        return str(record.get("nsfw", "white")) if record else "white"

    def _title(self, anime_id: int) -> str:
        record = self.anime.get(anime_id)
        return str(record["title"]) if record else f"Anime {anime_id}"

    def _list_item(self, entry: _Entry, with_status: bool) -> dict[str, Any]:
        anime_id, status, score, episodes, rewatching, updated_at = entry
        record = self.anime.get(anime_id)
        node = {
            "id": anime_id,
            "title": record["title"] if record else f"Anime {anime_id}",
            "main_picture": record["main_picture"]
            if record
            else {
                "medium": f"https://cdn.myanimelist.net/images/anime/{anime_id}.jpg",
                "large": f"https://cdn.myanimelist.net/images/anime/{anime_id}l.jpg",
            },
        }
        item: dict[str, Any] = {"node": node}
        if with_status:
            item["list_status"] = {
                "status": status,
                "score": score,
                "num_episodes_watched": episodes,
                "is_rewatching": rewatching,
                "updated_at": updated_at,
            }
        return item

    async def _anime(self, request: web.Request) -> web.Response:
        try:
            anime_id = int(request.match_info["anime_id"])
        except ValueError:
            return _error(400, "invalid_parameters")
        record = self.anime.get(anime_id)
        if record is None:
            return _error(404, "not_found")
        fields = {f.strip() for f in request.query.get("fields", "").split(",") if f.strip()}
        body = {key: record[key] for key in ("id", "title", "main_picture")}
        for key in sorted(fields):
            if key in record and record[key] is not None:
                body[key] = record[key]
        return web.json_response(body)


def _error(status: int, error: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"message": "", "error": error}, status=status, headers=headers)


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
        description=__doc__,
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


if __name__ == "__main__":
    sys.exit(main())
