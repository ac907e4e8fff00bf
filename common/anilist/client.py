"""The async AniList client (GraphQL over aiohttp, no key): a user's whole anime list and a
cheap fingerprint of it.

Requests go through :class:`~common.sites.SiteHttp` (AniList's rate limit: 90 a minute as
documented, 30 while "degraded"; ``X-RateLimit-*`` and ``Retry-After`` honoured). GraphQL errors
come as ``{"data": ..., "errors": [{"message", "status"}]}``, with the first error's status as
the HTTP status: 404 "User not found" / "Private User" become typed errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aiohttp

from common.anilist.models import SITE, read_lists, score_scale
from common.sites import (
    SiteEntry,
    SiteError,
    SiteHttp,
    SiteInvalidResponse,
    SiteInvalidUsername,
    SiteLimiter,
    SiteList,
    SiteListPrivate,
    SiteUserNotFound,
)

NAME_RE = re.compile(r"[A-Za-z0-9_-]{2,32}")
"""Lenient on purpose (AniList names are letters and digits): AniList itself says 404."""
NAME_RULE = "it must be 2–32 letters or digits"
PRIVATE_HOW = "Make the profile public in your AniList settings"
PER_CHUNK = 500  # AniList's maximum perChunk
MAX_CHUNKS = 100

USER = "User(id: $id, name: $name) { id name mediaListOptions { scoreFormat } }"
LIST_QUERY = (
    "query ($id: Int, $name: String, $chunk: Int, $perChunk: Int) {\n"
    f"  {USER}\n"
    "  MediaListCollection(userId: $id, userName: $name, type: ANIME, chunk: $chunk,"
    " perChunk: $perChunk) {\n"
    "    hasNextChunk\n"
    "    lists { isCustomList entries { mediaId status score progress updatedAt"
    " media { idMal title { userPreferred } } } }\n"
    "  }\n"
    "}"
)
FINGERPRINT_QUERY = (
    "query ($id: Int, $name: String) {\n"
    f"  {USER}\n"
    "  Page(page: 1, perPage: 1) {\n"
    "    pageInfo { total }\n"
    "    mediaList(userId: $id, userName: $name, type: ANIME, sort: UPDATED_TIME_DESC)"
    " { mediaId status score progress updatedAt }\n"
    "  }\n"
    "}"
)


def validate_name(username: str) -> str:
    name = username.strip()
    if not NAME_RE.fullmatch(name):
        raise SiteInvalidUsername(SITE, username, NAME_RULE)
    return name


class AniListClient:
    """Use as ``async with AniListClient(url) as anilist:`` or hand it a shared session."""

    site = "anilist"

    def __init__(
        self,
        api_url: str = "https://graphql.anilist.co",
        session: aiohttp.ClientSession | None = None,
        *,
        requests_per_minute: float = 30.0,
        timeout: float = 20.0,
        max_retries: int = 4,
        **http_options: Any,
    ) -> None:
        self.api_url = api_url
        self.limiter = SiteLimiter(requests_per_minute / 60.0, max_concurrency=2)
        self.http = SiteHttp(
            SITE,
            session,
            self.limiter,
            timeout=timeout,
            max_retries=max_retries,
            headers={"Accept": "application/json"},
            **http_options,
        )

    async def __aenter__(self) -> AniListClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.close()

    async def _query(self, query: str, variables: dict[str, Any], who: str) -> Mapping[str, Any]:
        answer = await self.http.request(
            "POST", self.api_url, body={"query": query, "variables": variables}
        )
        payload = answer.payload if isinstance(answer.payload, Mapping) else {}
        errors = payload.get("errors")
        if errors or answer.status != 200:
            raise self._error(answer.status, errors, who)
        data = payload.get("data")
        if not isinstance(data, Mapping):
            raise SiteInvalidResponse(SITE, "answer without data")
        return data

    @staticmethod
    def _error(status: int, errors: object, who: str) -> SiteError:
        messages = (
            [str(e.get("message", "")) for e in errors or () if isinstance(e, Mapping)]
            if isinstance(errors, list)
            else []
        )
        text = " ".join(messages).lower()
        if "private" in text:
            return SiteListPrivate(SITE, who, PRIVATE_HOW)
        if status == 404 or "not found" in text:
            return SiteUserNotFound(SITE, who)
        return SiteError(SITE, f"HTTP {status}: {'; '.join(messages)[:300]}")

    @staticmethod
    def _variables(username: str, user_id: str | None) -> dict[str, Any]:
        if user_id is not None and user_id.isdigit():
            return {"id": int(user_id), "name": None}
        return {"id": None, "name": validate_name(username)}

    @staticmethod
    def _user(data: Mapping[str, Any]) -> tuple[str, str, float]:
        user = data.get("User")
        if not isinstance(user, Mapping) or not isinstance(user.get("id"), int):
            raise SiteInvalidResponse(SITE, "answer without User.id")
        options = user.get("mediaListOptions")
        score_format = options.get("scoreFormat") if isinstance(options, Mapping) else None
        return str(user["id"]), str(user.get("name") or ""), score_scale(score_format)

    async def get_list(self, username: str, *, user_id: str | None = None) -> SiteList:
        """The whole anime list, chunk by chunk (500 entries each), each title once."""
        variables = self._variables(username, user_id)
        entries: list[SiteEntry] = []
        uid, name = "", username
        for chunk in range(1, MAX_CHUNKS + 1):
            data = await self._query(
                LIST_QUERY, {**variables, "chunk": chunk, "perChunk": PER_CHUNK}, username
            )
            uid, name, scale = self._user(data)
            collection = data.get("MediaListCollection")
            if not isinstance(collection, Mapping):
                raise SiteInvalidResponse(SITE, "answer without MediaListCollection")
            entries.extend(read_lists(collection.get("lists"), scale))
            if not collection.get("hasNextChunk"):
                break
        else:
            raise SiteInvalidResponse(SITE, f"list of {username!r} has over {MAX_CHUNKS} chunks")
        unique = list({e.site_anime_id: e for e in entries}.values())
        return SiteList("anilist", name or username, uid, unique)

    async def list_fingerprint(self, username: str, *, user_id: str | None = None) -> str:
        """Changes when the list does: the entry count and the most recently updated entry
        (``updatedAt`` with its status, score and progress). One request."""
        data = await self._query(FINGERPRINT_QUERY, self._variables(username, user_id), username)
        self._user(data)
        page = data.get("Page")
        if not isinstance(page, Mapping):
            raise SiteInvalidResponse(SITE, "answer without Page")
        info = page.get("pageInfo")
        total = info.get("total") if isinstance(info, Mapping) else None
        items = page.get("mediaList")
        top = items[0] if isinstance(items, list) and items else {}
        if not isinstance(top, Mapping):
            raise SiteInvalidResponse(SITE, "mediaList item is not an object")
        fields = ("mediaId", "updatedAt", "status", "score", "progress")
        return ":".join(str(x) for x in (total, *(top.get(f) for f in fields)))
