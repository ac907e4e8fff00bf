"""A local fake of AniList's GraphQL API (``POST /``), for tests and the demo.

It answers the two queries :class:`common.anilist.AniListClient` sends, with AniList's shapes:
``User(id|name){id name mediaListOptions{scoreFormat}}`` plus either
``MediaListCollection(userId|userName, type: ANIME, chunk, perChunk){hasNextChunk lists{...}}``
or ``Page(perPage: 1){pageInfo{total} mediaList(..., sort: UPDATED_TIME_DESC){...}}``. It does
not parse GraphQL: it reads the variables and which root field the query names.

- Errors as AniList sends them: ``{"data": ..., "errors": [{"message", "status", "locations"}]}``
  with the first error's status as the HTTP status: unknown user → 404 "User not found",
  private profile → 404 "Private User", no query → 400.
- Rate limit: every answer carries ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining`` over a
  60 s window of ``limit_per_minute`` requests; past it, 429 with ``Retry-After``,
  ``X-RateLimit-Reset`` and ``{"data": null, "errors": [{"message": "Too Many Requests.",
  "status": 429}]}``. Faults (``rate_limit``, ``server_error``) as :mod:`fakes.mal.faults`.

Entries given to ``add_user`` are dicts with ``media_id`` and any of ``mal_id`` (None: AniList
has no MAL id for it), ``status`` (AniList's), ``score`` (in the user's format), ``progress``,
``updated_at`` (Unix seconds), ``title``, ``custom`` (also shown in a custom list).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.mal.faults import FaultInjection
from fakes.serving import LocalServer

LIST_ORDER = ("CURRENT", "PLANNING", "COMPLETED", "DROPPED", "PAUSED", "REPEATING")


@dataclass
class AniListUser:
    id: int
    name: str
    score_format: str = "POINT_10"
    private: bool = False
    entries: list[dict[str, Any]] = field(default_factory=list)


class FakeAniList(LocalServer, FaultInjection):
    """The fake AniList API; ``base_url`` is the GraphQL endpoint."""

    path = "/"

    def __init__(self, *, limit_per_minute: int = 90) -> None:
        LocalServer.__init__(self)
        FaultInjection.__init__(self)
        self.limit_per_minute = limit_per_minute
        self.users: dict[str, AniListUser] = {}
        self.requests: list[dict[str, Any]] = []  # the JSON bodies received
        self._window_start = 0.0
        self._window_count = 0

    @classmethod
    @asynccontextmanager
    async def running(cls, **kwargs: Any) -> AsyncIterator[FakeAniList]:
        fake = cls(**kwargs)
        await fake.start()
        try:
            yield fake
        finally:
            await fake.stop()

    def add_user(
        self,
        name: str,
        entries: Iterable[Mapping[str, Any]] = (),
        *,
        score_format: str = "POINT_10",
        private: bool = False,
        user_id: int | None = None,
    ) -> AniListUser:
        """Add (or replace) a user; names are case-insensitive, as on AniList."""
        old = self.users.get(name.lower())
        uid = user_id or (old.id if old else 1000 + len(self.users))
        rows = [{"status": "COMPLETED", "score": 0, "progress": 0, **e} for e in entries]
        for i, row in enumerate(rows):
            row.setdefault("updated_at", 1_700_000_000 + i)
            row.setdefault("mal_id", row["media_id"])
        user = AniListUser(uid, name, score_format, private, rows)
        self.users[name.lower()] = user
        return user

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._graphql)
        return app

    # --- HTTP side ------------------------------------------------------------------------------

    def _limit_headers(self) -> tuple[dict[str, str], bool]:
        now = time.monotonic()
        if now - self._window_start >= 60:
            self._window_start, self._window_count = now, 0
        self._window_count += 1
        remaining = max(self.limit_per_minute - self._window_count, 0)
        headers = {
            "X-RateLimit-Limit": str(self.limit_per_minute),
            "X-RateLimit-Remaining": str(remaining),
        }
        return headers, self._window_count > self.limit_per_minute

    def _too_many(self, headers: dict[str, str], retry_after: str) -> web.Response:
        reset = int(time.time() + float(retry_after))
        headers = {
            **headers,
            "X-RateLimit-Remaining": "0",
            "Retry-After": retry_after,
            "X-RateLimit-Reset": str(reset),
        }
        return _errors(429, "Too Many Requests.", headers=headers, data=None)

    async def _graphql(self, request: web.Request) -> web.Response:
        headers, over = self._limit_headers()
        fault = self._take_fault("/graphql")
        if over:
            return self._too_many(headers, str(60 - int(time.monotonic() - self._window_start)))
        if fault is not None and fault.kind == "rate_limit":
            return self._too_many(headers, fault.retry_after or "1")
        if fault is not None and fault.kind == "server_error":
            return web.Response(status=fault.status, text="<html>Server Error</html>")
        try:
            body = await request.json()
        except ValueError:
            return _errors(400, "Invalid JSON in request body.", headers=headers)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _errors(400, "Must provide query string.", headers=headers)
        self.requests.append(body)
        query: str = body["query"]
        variables = body.get("variables") or {}
        user = self._find(variables)
        if user is None:
            return _errors(404, "User not found", headers=headers)
        if user.private:
            return _errors(404, "Private User", headers=headers)
        data: dict[str, Any] = {
            "User": {
                "id": user.id,
                "name": user.name,
                "mediaListOptions": {"scoreFormat": user.score_format},
            }
        }
        if "MediaListCollection" in query:
            data["MediaListCollection"] = self._collection(user, variables)
        if "Page(" in query:
            data["Page"] = self._page(user)
        return web.json_response({"data": data}, headers=headers)

    def _find(self, variables: Mapping[str, Any]) -> AniListUser | None:
        if variables.get("id") is not None:
            return next((u for u in self.users.values() if u.id == variables["id"]), None)
        name = variables.get("name")
        return self.users.get(name.lower()) if isinstance(name, str) else None

    @staticmethod
    def _entry(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "mediaId": row["media_id"],
            "status": row["status"],
            "score": row["score"],
            "progress": row["progress"],
            "updatedAt": row["updated_at"],
            "media": {
                "idMal": row["mal_id"],
                "title": {"userPreferred": row.get("title") or f"Media {row['media_id']}"},
            },
        }

    def _collection(self, user: AniListUser, variables: Mapping[str, Any]) -> dict[str, Any]:
        per = int(variables.get("perChunk") or 500)
        chunk = int(variables.get("chunk") or 1)
        rows = user.entries
        if variables.get("chunk") is not None:
            rows = rows[(chunk - 1) * per : chunk * per]
        lists = [
            {
                "name": status.title(),
                "isCustomList": False,
                "status": status,
                "entries": [self._entry(r) for r in rows if r["status"] == status],
            }
            for status in LIST_ORDER
            if any(r["status"] == status for r in rows)
        ]
        custom = [self._entry(r) for r in rows if r.get("custom")]
        if custom:
            lists.append({"name": "Favourites", "isCustomList": True, "entries": custom})
        more = variables.get("chunk") is not None and chunk * per < len(user.entries)
        return {"hasNextChunk": more, "lists": lists}

    @staticmethod
    def _page(user: AniListUser) -> dict[str, Any]:
        newest = sorted(user.entries, key=lambda r: r["updated_at"], reverse=True)[:1]
        return {
            "pageInfo": {"total": len(user.entries)},
            "mediaList": [
                {k: v for k, v in FakeAniList._entry(r).items() if k != "media"} for r in newest
            ],
        }


def _errors(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: Any = ...,
) -> web.Response:
    body = {
        "errors": [{"message": message, "status": status, "locations": [{"line": 2, "column": 3}]}],
        "data": {"User": None} if data is ... else data,
    }
    return web.json_response(body, status=status, headers=headers)


MAL_TO_ANILIST = {
    "watching": "CURRENT",
    "completed": "COMPLETED",
    "on_hold": "PAUSED",
    "dropped": "DROPPED",
    "plan_to_watch": "PLANNING",
}


def rows_from_mal(
    entries: Iterable[tuple[int, int, str]], *, out_of: int = 100
) -> list[dict[str, Any]]:
    """AniList rows for MAL-style ``(anime_id, score 0–10, status)`` entries, the score written
    in a format out of ``out_of`` (100, 10, 5 or 3); AniList ids are the MAL id + 100000."""
    return [
        {
            "media_id": anime_id + 100_000,
            "mal_id": anime_id,
            "status": MAL_TO_ANILIST[status],
            "score": round(score * out_of / 10),
        }
        for anime_id, score, status in entries
    ]
