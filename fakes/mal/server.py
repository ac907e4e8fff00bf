"""The fake MAL's HTTP side: :class:`FakeMal`, its aiohttp app, auth, faults and handlers.

Endpoints, shapes and status codes are described in :mod:`fakes.mal`; the data served is
:class:`~fakes.mal.data.MalData`'s, the faults :class:`~fakes.mal.faults.FaultInjection`'s.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from fakes.mal.data import Entry, MalData, picture
from fakes.mal.faults import FaultInjection
from fakes.mal.kaggle import load_kaggle
from fakes.mal.listings import ListingPages

USERNAME_RE = re.compile(r"[A-Za-z0-9_-]{2,16}")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


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


class FakeMal(MalData, FaultInjection, ListingPages):
    """The fake MAL API; see :mod:`fakes.mal`."""

    def __init__(
        self,
        lists: Mapping[str, Iterable[Any]] | None = None,
        anime: Mapping[int, Mapping[str, Any]] | Iterable[Mapping[str, Any]] | None = None,
        *,
        private: Iterable[str] = (),
        client_id: str | None = None,
        latency: float = 0.0,
    ) -> None:
        self.client_id = client_id
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        FaultInjection.__init__(self)
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        MalData.__init__(self, lists, anime, private=private)

    @classmethod
    def from_kaggle(
        cls, ratings: str | Path, anime: str | Path | None = None, **kwargs: Any
    ) -> FakeMal:
        """Lists from a Kaggle ``rating.csv`` (users ``user<ID>``), details from ``anime.csv``."""
        fake = cls(**kwargs)
        load_kaggle(fake, ratings, anime)
        return fake

    def requests_to(self, fragment: str) -> list[RecordedRequest]:
        """Logged requests whose path contains ``fragment``."""
        return [r for r in self.requests if fragment in r.path]

    # --- serving ----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v2/users/{name}/animelist", self._animelist)
        app.router.add_get("/v2/anime/ranking", self._ranking)  # before /anime/{anime_id}
        app.router.add_get("/v2/anime/season/{year}/{season}", self._season)
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

    def _list_item(self, entry: Entry, with_status: bool) -> dict[str, Any]:
        anime_id, status, score, episodes, rewatching, updated_at = entry
        record = self.anime.get(anime_id)
        node = {
            "id": anime_id,
            "title": record["title"] if record else f"Anime {anime_id}",
            "main_picture": record["main_picture"] if record else picture(anime_id),
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
