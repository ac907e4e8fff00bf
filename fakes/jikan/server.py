"""The fake Jikan's HTTP side: data, faults and handlers (see :mod:`fakes.jikan`)."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

USERS_PER_PAGE = 20
UPDATES_PER_PAGE = 75
TOP_PER_PAGE = 25
FAULT_KINDS = frozenset({"rate_limit", "server_error", "malformed_json", "without_data"})
RATE_LIMIT_MESSAGE = (
    "You are being rate limited by Jikan or MyAnimeList is rate-limiting our servers "
    "(specified in the error type)"
)


@dataclass(frozen=True)
class JikanRequest:
    path: str
    query: dict[str, str]
    at: float  # time.monotonic()


@dataclass
class _Fault:
    kind: str
    times: int
    match: str | None
    retry_after: str | None
    status: int


def _error(status: int, kind: str, message: str, **headers: str) -> web.Response:
    body = {"status": status, "type": kind, "message": message, "error": None}
    return web.json_response(body, status=status, headers=headers or None)


def _user(name: str) -> dict[str, Any]:
    url = f"https://myanimelist.net/profile/{name}"
    image = {"image_url": f"https://cdn.myanimelist.net/images/userimages/{abs(hash(name))}.jpg"}
    return {"username": name, "url": url, "images": {"jpg": image, "webp": image}}


class FakeJikan:
    """The fake Jikan v4 API; see :mod:`fakes.jikan`."""

    def __init__(
        self,
        users: Iterable[str] = (),
        updates: Mapping[int, Iterable[str]] | None = None,
        *,
        top: Iterable[int] | None = None,
        seed: int = 0,
    ) -> None:
        self.users = list(dict.fromkeys(users))
        # Each anime's updaters, newest first; /top/anime lists ``top`` (default: these anime
        # in insertion order), which may name anime without updates (404 there).
        self.updates = {int(k): list(v) for k, v in (updates or {}).items()}
        self.top = list(top) if top is not None else None
        self.random = random.Random(seed)
        self.requests: list[JikanRequest] = []
        self._faults: list[_Fault] = []
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    # --- harness --------------------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        match: str | None = None,
        retry_after: str | None = None,
        status: int = 500,
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        self._faults.append(_Fault(kind, times, match, retry_after, status))

    def _take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.match is None or fault.match in path:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/v4/users", self._users)
        app.router.add_get("/v4/anime/{anime_id}/userupdates", self._userupdates)
        app.router.add_get("/v4/random/users", self._random_user)
        app.router.add_get("/v4/top/anime", self._top)
        return app

    @classmethod
    @asynccontextmanager
    async def running(cls, *args: Any, **kwargs: Any) -> AsyncIterator[FakeJikan]:
        fake = cls(*args, **kwargs)
        await fake.start()
        try:
            yield fake
        finally:
            await fake.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        bound = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://{host}:{bound}/v4"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- serving --------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(JikanRequest(request.path, dict(request.query), time.monotonic()))
        fault = self._take_fault(request.path)
        if fault is None:
            try:
                response: web.StreamResponse = await handler(request)
            except web.HTTPNotFound:
                return _error(404, "BadResponseException", "Resource does not exist")
            return response
        if fault.kind == "rate_limit":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return _error(429, "RateLimitException", RATE_LIMIT_MESSAGE, **headers)
        if fault.kind == "server_error":
            return _error(
                fault.status, "UpstreamException", "Jikan failed to connect to MyAnimeList"
            )
        if fault.kind == "malformed_json":
            return web.Response(
                text="<html><body>502 Bad Gateway</body></html>", content_type="application/json"
            )
        return web.json_response({})  # without_data

    @staticmethod
    def _page(request: web.Request) -> int | None:
        try:
            page = int(request.query.get("page", "1"))
        except ValueError:
            return None
        return page if page >= 1 else None

    @staticmethod
    def _paged(items: list[Any], page: int, per_page: int) -> web.Response:
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return web.json_response(
            {"pagination": {"last_visible_page": last, "has_next_page": page < last}, "data": chunk}
        )

    def _bad_request(self) -> web.Response:
        return _error(
            400,
            "ValidationException",
            "Invalid or incomplete request. Make sure your request is correct.",
        )

    async def _users(self, request: web.Request) -> web.Response:
        page = self._page(request)
        if page is None:
            return self._bad_request()
        query = request.query.get("q", "").casefold()
        found = [_user(n) | {"last_online": "2026-11-28T12:00:00+00:00"} for n in self.users
                 if query in n.casefold()]  # fmt: skip
        return self._paged(found, page, USERS_PER_PAGE)

    async def _userupdates(self, request: web.Request) -> web.Response:
        page = self._page(request)
        try:
            anime_id = int(request.match_info["anime_id"])
        except ValueError:
            return self._bad_request()
        if page is None:
            return self._bad_request()
        if anime_id not in self.updates:
            return _error(404, "BadResponseException", "Resource does not exist")
        data = [
            {
                "user": _user(name),
                "score": 8,
                "status": "Completed",
                "episodes_seen": 12,
                "episodes_total": 12,
                "date": "2026-11-28T12:00:00+00:00",
            }
            for name in self.updates[anime_id]
        ]
        return self._paged(data, page, UPDATES_PER_PAGE)

    async def _random_user(self, request: web.Request) -> web.Response:
        if not self.users:
            return _error(404, "BadResponseException", "Resource does not exist")
        name = self.random.choice(self.users)
        return web.json_response(
            {"data": {"mal_id": None, **_user(name), "last_online": None, "gender": None,
                      "birthday": None, "location": None, "joined": "2020-01-01T00:00:00+00:00"}}
        )  # fmt: skip

    async def _top(self, request: web.Request) -> web.Response:
        page = self._page(request)
        if page is None:
            return self._bad_request()
        order = self.top if self.top is not None else list(self.updates)
        data = [{"mal_id": aid, "title": f"Anime {aid}"} for aid in order]
        return self._paged(data, page, TOP_PER_PAGE)
