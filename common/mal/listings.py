"""MAL's bulk listings, mixed into :class:`~common.mal.client.MalClient`: one page of a season
(``GET /anime/season/{year}/{season}``) or of a ranking (``GET /anime/ranking``), up to 500
titles, NSFW titles included and marked by their ``nsfw`` field (the catalog decides what to
show). MAL serves ``related_anime`` only in an anime's details, so the pages ask for the rest."""

from __future__ import annotations

from typing import Any

from common.mal.errors import HttpStatus, InvalidResponse, MalError, MalThrottled
from common.mal.models import LISTING_FIELDS, AnimePage, MalAnime

LISTING_PAGE_SIZE = 500  # MAL's maximum for /anime/season and /anime/ranking
SEASONS = ("winter", "spring", "summer", "fall")
RANKING_TYPES = ("all", "airing", "upcoming", "tv", "ova", "movie", "special", "bypopularity")


class ListingPages:
    """Season and ranking pages over the client's ``_get`` (rate limit, retries, typed errors)."""

    base_url: str

    async def _get(
        self,
        url: str,
        params: dict[str, str] | None,
        *,
        expect: str,
        retries: int | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _other_status(self, status: int, what: str) -> MalError:
        raise NotImplementedError

    async def get_season(
        self, year: int, season: str, *, offset: int = 0, limit: int = LISTING_PAGE_SIZE
    ) -> AnimePage:
        """One page of the anime that start in ``season`` of ``year``, most members first
        (``GET /anime/season/{year}/{season}``), NSFW titles included (marked by ``nsfw``)."""
        if season not in SEASONS:
            raise ValueError(f"season must be one of {SEASONS}, got {season!r}")
        url = f"{self.base_url}/anime/season/{int(year)}/{season}"
        params = {"sort": "anime_num_list_users"}
        return await self._listing(url, params, offset, limit, f"season {season} {year}")

    async def get_ranking(
        self, ranking_type: str = "all", *, offset: int = 0, limit: int = LISTING_PAGE_SIZE
    ) -> AnimePage:
        """One page of MAL's ranking (``GET /anime/ranking?ranking_type=...``)."""
        if ranking_type not in RANKING_TYPES:
            raise ValueError(f"ranking_type must be one of {RANKING_TYPES}, got {ranking_type!r}")
        params = {"ranking_type": ranking_type}
        return await self._listing(
            f"{self.base_url}/anime/ranking", params, offset, limit, f"ranking {ranking_type}"
        )

    async def _listing(
        self, url: str, params: dict[str, str], offset: int, limit: int, what: str
    ) -> AnimePage:
        """One page of a season or ranking listing (``data[].node``); a 404 is an empty page."""
        query = {
            **params,
            "fields": LISTING_FIELDS,
            "limit": str(max(1, min(limit, LISTING_PAGE_SIZE))),
            "offset": str(max(0, offset)),
            "nsfw": "true",
        }
        try:
            payload = await self._get(url, query, expect="data")
        except HttpStatus as exc:
            if exc.status == 404:
                return AnimePage((), None)
            if exc.status == 403:
                raise MalThrottled(f"403 on {what}") from None
            raise self._other_status(exc.status, what) from None
        data = payload["data"]
        if not isinstance(data, list):
            raise InvalidResponse(f"'data' is not a list for {what}")
        anime = []
        for item in data:
            node = item.get("node") if isinstance(item, dict) else None
            if isinstance(node, dict):
                try:
                    anime.append(MalAnime.from_api(node))
                except InvalidResponse:
                    continue  # one odd title does not lose the page
        more = bool((payload.get("paging") or {}).get("next")) and bool(data)
        return AnimePage(tuple(anime), max(0, offset) + len(data) if more else None)
