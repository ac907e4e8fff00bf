"""A local fake of Kitsu's JSON:API (``/api/edge``), for tests and the demo.

Endpoints, with Kitsu's shapes (``Content-Type: application/vnd.api+json``):

- ``GET /users?filter[slug]=..`` or ``filter[name]=..`` → ``{"data": [user...], "meta":
  {"count"}}`` (empty ``data`` when nobody matches); ``GET /users/{id}`` → ``{"data": user}`` or
  404 ``{"errors": [{"title": "Record not found", "detail", "code", "status": "404"}]}``.
- ``GET /library-entries?filter[userId]=..&filter[kind]=anime&include=anime,anime.mappings&
  page[limit]=..&page[offset]=..&sort=-updatedAt`` → ``{"data": [libraryEntries],
  "included": [anime, mappings], "meta": {"count"}, "links": {"first", "next"?, "last"}}``;
  ``page[limit]`` defaults to 10 and may be at most 500 (else 400). Entries marked private are
  never shown (the bot is signed out).

Entries given to ``add_user`` are dicts with ``anime_id`` (Kitsu's) and any of ``mal_id``
(None: no MyAnimeList mapping), ``status`` (Kitsu's), ``rating`` (ratingTwenty, 2–20 or None),
``progress``, ``updated_at`` (ISO text), ``title``, ``private``. Faults (``rate_limit``,
``server_error``) as :mod:`fakes.mal.faults`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fakes.mal.faults import FaultInjection
from fakes.serving import LocalServer

JSONAPI = "application/vnd.api+json"
MAX_LIMIT = 500
DEFAULT_LIMIT = 10


@dataclass
class KitsuUser:
    id: int
    name: str
    slug: str
    entries: list[dict[str, Any]] = field(default_factory=list)


class FakeKitsu(LocalServer, FaultInjection):
    """The fake Kitsu API; ``base_url`` ends in ``/api/edge``."""

    path = "/api/edge"

    def __init__(self) -> None:
        LocalServer.__init__(self)
        FaultInjection.__init__(self)
        self.users: dict[int, KitsuUser] = {}
        self.paths: list[str] = []  # path + query of every request

    @classmethod
    @asynccontextmanager
    async def running(cls) -> AsyncIterator[FakeKitsu]:
        fake = cls()
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
        slug: str | None = None,
        user_id: int | None = None,
    ) -> KitsuUser:
        """Add (or replace, by slug) a user."""
        slug = slug or name.lower()
        old = next((u for u in self.users.values() if u.slug == slug), None)
        uid = user_id or (old.id if old else 5000 + len(self.users))
        rows = [{"status": "completed", "rating": None, "progress": 0, **e} for e in entries]
        for i, row in enumerate(rows):
            row.setdefault("updated_at", f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}.000Z")
            row.setdefault("mal_id", row["anime_id"])
        user = KitsuUser(uid, name, slug, rows)
        self.users[uid] = user
        return user

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/edge/users", self._users)
        app.router.add_get("/api/edge/users/{id}", self._user)
        app.router.add_get("/api/edge/library-entries", self._library)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.paths.append(request.path_qs)
        fault = self._take_fault(request.path_qs)
        if fault is not None and fault.kind == "rate_limit":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return _error(429, "Too Many Requests", headers=headers)
        if fault is not None and fault.kind == "server_error":
            return web.Response(status=fault.status, text="<html>Bad Gateway</html>")
        return await handler(request)

    @staticmethod
    def _user_record(user: KitsuUser) -> dict[str, Any]:
        return {
            "id": str(user.id),
            "type": "users",
            "attributes": {"name": user.name, "slug": user.slug},
        }

    async def _users(self, request: web.Request) -> web.Response:
        slug = request.query.get("filter[slug]")
        name = request.query.get("filter[name]")
        found = [
            u
            for u in self.users.values()
            if (slug is not None and u.slug == slug) or (name is not None and u.name == name)
        ]
        body = {"data": [self._user_record(u) for u in found], "meta": {"count": len(found)}}
        return _json(body)

    async def _user(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        user = self.users.get(int(raw)) if raw.isdigit() else None
        if user is None:
            return _error(404, "Record not found", detail=f"The record identified by {raw} "
                          "could not be found.")  # fmt: skip
        return _json({"data": self._user_record(user)})

    async def _library(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            limit = int(query.get("page[limit]", DEFAULT_LIMIT))
            offset = int(query.get("page[offset]", 0))
        except ValueError:
            return _error(400, "Invalid field value")
        if not 0 <= limit <= MAX_LIMIT or offset < 0:
            return _error(400, "Invalid field value", detail=f"{limit} is not a valid page limit")
        uid = query.get("filter[userId]", "")
        user = self.users.get(int(uid)) if uid.isdigit() else None
        rows = [r for r in (user.entries if user else []) if not r.get("private")]
        if query.get("sort") == "-updatedAt":
            rows = sorted(rows, key=lambda r: r["updated_at"], reverse=True)
        page = rows[offset : offset + limit]
        include = set(query.get("include", "").split(","))
        body: dict[str, Any] = {
            "data": [self._entry(r) for r in page],
            "meta": {"count": len(rows)},
            "links": {"first": str(request.url.update_query({"page[offset]": "0"}))},
        }
        if offset + limit < len(rows):
            body["links"]["next"] = str(
                request.url.update_query({"page[offset]": str(offset + limit)})
            )
        if "anime" in include or "anime.mappings" in include:
            body["included"] = self._included(page, "anime.mappings" in include)
        return _json(body)

    @staticmethod
    def _entry(row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": str(900000 + row["anime_id"]),
            "type": "libraryEntries",
            "attributes": {
                "status": row["status"],
                "progress": row["progress"],
                "reconsuming": bool(row.get("reconsuming")),
                "ratingTwenty": row["rating"],
                "updatedAt": row["updated_at"],
            },
            "relationships": {"anime": {"data": {"type": "anime", "id": str(row["anime_id"])}}},
        }

    @staticmethod
    def _included(page: list[dict[str, Any]], mappings: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in page:
            anime_id = row["anime_id"]
            refs = []
            if mappings:
                # Kitsu maps titles to several sites; only one of them is MyAnimeList.
                refs.append({"type": "mappings", "id": f"a{anime_id}"})
                out.append(_mapping(f"a{anime_id}", "anidb", str(anime_id + 7)))
                if row["mal_id"] is not None:
                    refs.append({"type": "mappings", "id": f"m{anime_id}"})
                    out.append(_mapping(f"m{anime_id}", "myanimelist/anime", str(row["mal_id"])))
            out.append(
                {
                    "id": str(anime_id),
                    "type": "anime",
                    "attributes": {"canonicalTitle": row.get("title") or f"Anime {anime_id}"},
                    "relationships": {"mappings": {"data": refs}} if mappings else {},
                }
            )
        return out


def _mapping(mapping_id: str, site: str, external: str) -> dict[str, Any]:
    return {
        "id": mapping_id,
        "type": "mappings",
        "attributes": {"externalSite": site, "externalId": external},
    }


def _json(body: Mapping[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, content_type=JSONAPI)


def _error(
    status: int, title: str, *, detail: str = "", headers: Mapping[str, str] | None = None
) -> web.Response:
    error = {"title": title, "detail": detail or title, "code": str(status), "status": str(status)}
    return web.json_response(
        {"errors": [error]}, status=status, content_type=JSONAPI, headers=headers
    )


MAL_TO_KITSU = {
    "watching": "current",
    "completed": "completed",
    "on_hold": "on_hold",
    "dropped": "dropped",
    "plan_to_watch": "planned",
}


def rows_from_mal(entries: Iterable[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """Kitsu rows for MAL-style ``(anime_id, score 0–10, status)`` entries (ratingTwenty = 2 ×
    score, None when unscored); Kitsu ids are the MAL id + 200000."""
    return [
        {
            "anime_id": anime_id + 200_000,
            "mal_id": anime_id,
            "status": MAL_TO_KITSU[status],
            "rating": score * 2 or None,
        }
        for anime_id, score, status in entries
    ]
