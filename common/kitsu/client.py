"""The async Kitsu client (JSON:API over aiohttp, no key): find a user, then fetch their anime
library with the MyAnimeList mappings, 500 entries a page, following ``links.next``.

Kitsu names: the profile URL's slug (``kitsu.app/users/<slug>``) or the display name; the slug
is tried first. Library entries a member marked private are not shown to the bot, as to anyone
signed out. Errors come as JSON:API ``{"errors": [{"title", "detail", "status"}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

from common.kitsu.models import SITE, read_page
from common.sites import (
    SiteEntry,
    SiteError,
    SiteHttp,
    SiteInvalidResponse,
    SiteInvalidUsername,
    SiteLimiter,
    SiteList,
    SiteUserNotFound,
)

PAGE_LIMIT = 500  # Kitsu's maximum page[limit] for library entries
MAX_PAGES = 200
JSONAPI = "application/vnd.api+json"
LIBRARY_FIELDS = {
    "fields[libraryEntries]": "status,progress,reconsuming,ratingTwenty,updatedAt,anime",
    "fields[anime]": "canonicalTitle,mappings",
    "fields[mappings]": "externalSite,externalId",
}


def validate_name(username: str) -> str:
    name = username.strip()
    if not 1 <= len(name) <= 64 or any(c in name for c in "/?#&"):
        raise SiteInvalidUsername(SITE, username, "use the name in your profile's address")
    return name


class KitsuClient:
    """Use as ``async with KitsuClient(base_url) as kitsu:`` or hand it a shared session."""

    site = "kitsu"

    def __init__(
        self,
        base_url: str = "https://kitsu.io/api/edge",
        session: aiohttp.ClientSession | None = None,
        *,
        requests_per_second: float = 1.0,
        timeout: float = 20.0,
        max_retries: int = 4,
        **http_options: Any,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = SiteLimiter(requests_per_second, max_concurrency=2)
        self.http = SiteHttp(
            SITE,
            session,
            self.limiter,
            timeout=timeout,
            max_retries=max_retries,
            headers={"Accept": JSONAPI},
            **http_options,
        )

    async def __aenter__(self) -> KitsuClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.close()

    async def _get(self, url: str, params: dict[str, str] | None, who: str) -> Mapping[str, Any]:
        answer = await self.http.request("GET", url, params=params)
        if answer.status == 200:
            return answer.payload  # type: ignore[no-any-return]
        if answer.status == 404:
            raise SiteUserNotFound(SITE, who)
        errors = answer.payload.get("errors") if isinstance(answer.payload, Mapping) else None
        titles = [str(e.get("title", "")) for e in errors or () if isinstance(e, Mapping)]
        raise SiteError(SITE, f"HTTP {answer.status} on {url}: {'; '.join(titles)[:300]}")

    async def find_user(self, username: str, *, user_id: str | None = None) -> tuple[str, str]:
        """``(id, name)`` of a user: by id when known, else by slug, then by display name."""
        if user_id is not None:
            payload = await self._get(
                f"{self.base_url}/users/{user_id}", {"fields[users]": "name,slug"}, username
            )
            return self._one_user(payload.get("data"), username)
        name = validate_name(username)
        for key in ("slug", "name"):
            payload = await self._get(
                f"{self.base_url}/users",
                {f"filter[{key}]": name, "fields[users]": "name,slug"},
                username,
            )
            data = payload.get("data")
            if not isinstance(data, list):
                raise SiteInvalidResponse(SITE, "'data' is not a list")
            if data:
                return self._one_user(data[0], username)
        raise SiteUserNotFound(SITE, username)

    @staticmethod
    def _one_user(data: object, username: str) -> tuple[str, str]:
        if not isinstance(data, Mapping) or not str(data.get("id", "")).isdigit():
            raise SiteInvalidResponse(SITE, f"user record without id for {username!r}")
        attributes = data.get("attributes")
        name = attributes.get("name") if isinstance(attributes, Mapping) else None
        return str(data["id"]), str(name or username)

    def _library_params(self, user_id: str, limit: int) -> dict[str, str]:
        return {
            "filter[userId]": user_id,
            "filter[kind]": "anime",
            "include": "anime,anime.mappings",
            "page[limit]": str(limit),
            "page[offset]": "0",
            "sort": "-updatedAt",
            **LIBRARY_FIELDS,
        }

    def _follow(self, next_url: str) -> tuple[str, dict[str, str] | None]:
        """``links.next`` verbatim when it is under the configured base URL; otherwise (Kitsu
        behind a proxy names its own host) only its query is reused on our URL."""
        if next_url.startswith(self.base_url + "/"):
            return next_url, None
        return f"{self.base_url}/library-entries", dict(parse_qsl(urlsplit(next_url).query))

    async def get_list(self, username: str, *, user_id: str | None = None) -> SiteList:
        """The whole anime library, page by page (``links.next``), each title once."""
        uid, name = await self.find_user(username, user_id=user_id)
        url = f"{self.base_url}/library-entries"
        params: dict[str, str] | None = self._library_params(uid, PAGE_LIMIT)
        entries: list[SiteEntry] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            payload = await self._get(url, params, username)
            entries.extend(read_page(payload))
            links = payload.get("links")
            next_url = links.get("next") if isinstance(links, Mapping) else None
            if not next_url:
                break
            if not isinstance(next_url, str) or next_url in seen:
                raise SiteInvalidResponse(SITE, f"bad or repeated links.next for {name!r}")
            seen.add(next_url)
            url, params = self._follow(next_url)
        else:
            raise SiteInvalidResponse(SITE, f"library of {name!r} has over {MAX_PAGES} pages")
        unique = list({e.site_anime_id: e for e in reversed(entries)}.values())
        return SiteList("kitsu", name, uid, unique)

    async def list_fingerprint(self, username: str, *, user_id: str | None = None) -> str:
        """Changes when the library does: ``meta.count`` (so removals show) and the most recently
        updated entry (``updatedAt``, status, rating, progress). One request with a user id."""
        uid = user_id if user_id is not None else (await self.find_user(username))[0]
        params = {
            "filter[userId]": uid,
            "filter[kind]": "anime",
            "page[limit]": "1",
            "sort": "-updatedAt",
            "fields[libraryEntries]": "status,progress,ratingTwenty,updatedAt",
        }
        payload = await self._get(f"{self.base_url}/library-entries", params, username)
        data = payload.get("data")
        if not isinstance(data, list):
            raise SiteInvalidResponse(SITE, "'data' is not a list")
        meta = payload.get("meta")
        count = meta.get("count") if isinstance(meta, Mapping) else None
        top = data[0] if data and isinstance(data[0], Mapping) else {}
        attributes = top.get("attributes") if isinstance(top.get("attributes"), Mapping) else {}
        assert isinstance(attributes, Mapping)
        fields = ("updatedAt", "status", "ratingTwenty", "progress")
        return ":".join(
            str(x) for x in (count, top.get("id"), *(attributes.get(f) for f in fields))
        )
