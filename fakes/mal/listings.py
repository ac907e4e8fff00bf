"""The fake MAL's bulk listings: ``/anime/season/{year}/{season}`` and ``/anime/ranking``.

Shapes as MAL API v2 answers them: ``{"data": [{"node": {...}}], "paging": {"next": url},
"season": {"year", "season"}}`` for a season (``sort=anime_score|anime_num_list_users``), and
``{"data": [{"node": {...}, "ranking": {"rank": n}}], "paging": {...}}`` for a ranking
(``ranking_type=all|airing|upcoming|tv|ova|movie|special|bypopularity``). ``fields`` picks the
node's fields, except ``related_anime``, which MAL serves only in an anime's details. ``limit``
is 1–500 (default 100); titles rated ``black`` are left out unless ``nsfw=true``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

MAX_LISTING_LIMIT = 500
DEFAULT_LISTING_LIMIT = 100
SEASONS = ("winter", "spring", "summer", "fall")
_MEDIA_RANKINGS = {"tv": {"tv"}, "ova": {"ova"}, "movie": {"movie"}, "special": {"special"}}
_DETAIL_ONLY = {"related_anime"}


def _error(status: int, error: str) -> web.Response:
    return web.json_response({"message": "", "error": error}, status=status)


class ListingPages:
    """Handlers over ``self.anime`` (id → MAL-shaped record), mixed into ``FakeMal``."""

    anime: dict[int, dict[str, Any]]

    def _node(self, record: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        node = {key: record[key] for key in ("id", "title", "main_picture")}
        for key in sorted(fields - _DETAIL_ONLY):
            if key in record and record[key] is not None:
                node[key] = record[key]
        return node

    def _page(
        self,
        request: web.Request,
        records: list[dict[str, Any]],
        item: Callable[[dict[str, Any], int], dict[str, Any]],
        extra: dict[str, Any],
    ) -> web.Response:
        query = request.query
        try:
            limit = int(query.get("limit", DEFAULT_LISTING_LIMIT))
            offset = int(query.get("offset", 0))
        except ValueError:
            return _error(400, "invalid_parameters")
        if not 1 <= limit <= MAX_LISTING_LIMIT or offset < 0:
            return _error(400, "invalid_parameters")
        if query.get("nsfw", "").lower() not in ("true", "1"):
            records = [r for r in records if r.get("nsfw", "white") != "black"]
        fields = {f.strip() for f in query.get("fields", "").split(",") if f.strip()}
        data = [
            item(self._node(r, fields), offset + i + 1)
            for i, r in enumerate(records[offset : offset + limit])
        ]
        paging: dict[str, str] = {}
        if offset + limit < len(records):
            paging["next"] = str(request.url.update_query(offset=offset + limit, limit=limit))
        if offset > 0:
            paging["previous"] = str(
                request.url.update_query(offset=max(offset - limit, 0), limit=limit)
            )
        return web.json_response({"data": data, "paging": paging, **extra})

    async def _season(self, request: web.Request) -> web.Response:
        season = request.match_info["season"]
        try:
            year = int(request.match_info["year"])
        except ValueError:
            return _error(400, "invalid_parameters")
        if season not in SEASONS:
            return _error(400, "invalid_parameters")
        records = [
            r
            for r in self.anime.values()
            if (r.get("start_season") or {}).get("year") == year
            and (r.get("start_season") or {}).get("season") == season
        ]
        if request.query.get("sort") == "anime_score":
            records.sort(key=lambda r: (-(r.get("mean") or 0.0), r["id"]))
        else:  # anime_num_list_users, and MAL's default order for the fake
            records.sort(key=lambda r: (-(r.get("num_list_users") or 0), r["id"]))
        return self._page(
            request,
            records,
            lambda node, _rank: {"node": node},
            {"season": {"year": year, "season": season}},
        )

    async def _ranking(self, request: web.Request) -> web.Response:
        kind = request.query.get("ranking_type", "all")
        records = list(self.anime.values())
        if kind == "bypopularity":
            records.sort(key=lambda r: (-(r.get("num_list_users") or 0), r["id"]))
        elif kind in ("all", "airing", "upcoming", *_MEDIA_RANKINGS):
            if kind == "airing":
                records = [r for r in records if r.get("status") == "currently_airing"]
            elif kind == "upcoming":
                records = [r for r in records if r.get("status") == "not_yet_aired"]
            elif kind in _MEDIA_RANKINGS:
                records = [r for r in records if r.get("media_type") in _MEDIA_RANKINGS[kind]]
            records.sort(key=lambda r: (-(r.get("mean") or 0.0), r["id"]))
        else:
            return _error(400, "invalid_parameters")
        return self._page(
            request, records, lambda node, rank: {"node": node, "ranking": {"rank": rank}}, {}
        )
