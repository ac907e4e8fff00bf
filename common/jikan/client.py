"""The async Jikan v4 client (aiohttp) behind ``python -m training discover``.

Endpoints (https://docs.api.jikan.moe/; shapes as in its OpenAPI schema):

- ``GET /users?q=&page=`` → ``{"pagination": {"last_visible_page", "has_next_page"},
  "data": [{"url", "username", "images", "last_online"}]}``
- ``GET /anime/{id}/userupdates?page=`` → ``{"pagination": {...}, "data": [{"user":
  {"username", "url", "images"}, "score", "status", "episodes_seen", "episodes_total",
  "date"}]}``: members who recently added or updated the title on their list
- ``GET /random/users`` → ``{"data": {"mal_id", "username", "url", ..., "joined"}}``
- ``GET /top/anime?filter=bypopularity&page=`` → ``{"pagination": {...}, "data": [{"mal_id",
  "title", ...}]}``

Politeness: Jikan publishes 3 requests per second and 60 per minute; every request goes through
one :class:`~common.jikan.ratelimit.SlidingWindowLimiter` holding both, one request at a time.
429 (Jikan's own limit, or MyAnimeList limiting Jikan), 5xx, timeouts, connection errors and
unreadable 200s are retried with exponential backoff (a ``Retry-After`` wins on a 429, and a
429 pauses every request); 404 raises :class:`~common.jikan.errors.JikanNotFound` at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import aiohttp

from common.jikan.errors import (
    JikanError,
    JikanInvalidResponse,
    JikanNotFound,
    JikanRateLimited,
    JikanUnavailable,
)
from common.jikan.ratelimit import SlidingWindowLimiter
from common.mal.client import parse_retry_after
from common.session import OwnedSession

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.jikan.moe/v4"
PUBLISHED_LIMITS = ((3, 1.0), (60, 60.0))
"""Jikan v4's published rate limits: 3 requests per second, 60 per minute."""
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a paginated endpoint."""

    items: tuple[T, ...]
    has_next_page: bool


@dataclass
class JikanStats:
    requests: int = 0
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def _describe(body: bytes) -> str:
    """Jikan's error JSON (``type``: ``message``) in one short line, else the status alone."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(payload, dict):
        return ""
    kind, message = payload.get("type"), payload.get("message")
    return f" ({kind}: {str(message)[:200]})" if kind or message else ""


class JikanClient:
    """``async with JikanClient(base_url) as jikan:`` (a shared ``session`` is not closed)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        limits: tuple[tuple[int, float], ...] = PUBLISHED_LIMITS,
        timeout: float = 20.0,
        max_retries: int = 4,
        session: aiohttp.ClientSession | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        retry_after_max: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = SlidingWindowLimiter(limits)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.stats = JikanStats()
        self._session = OwnedSession(session)
        # One request at a time: Jikan's per-second limit leaves no room for parallelism.
        self._one = asyncio.Lock()

    def __repr__(self) -> str:
        return f"JikanClient({self.base_url!r})"

    async def __aenter__(self) -> JikanClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._session.close()

    # --- endpoints ----------------------------------------------------------------------------

    async def search_users(self, query: str, page: int = 1) -> Page[str]:
        """Usernames matching ``query`` (MyAnimeList's user search)."""
        payload = await self._get("/users", {"q": query, "page": str(page)})
        return Page(
            tuple(self._username(item, "data[]") for item in self._list(payload, "/users")),
            self._has_next(payload),
        )

    async def anime_user_updates(self, anime_id: int, page: int = 1) -> Page[str]:
        """Usernames of members who recently added or updated anime ``anime_id``."""
        path = f"/anime/{int(anime_id)}/userupdates"
        payload = await self._get(path, {"page": str(page)})
        names = []
        for item in self._list(payload, path):
            user = item.get("user") if isinstance(item, dict) else None
            names.append(self._username(user, f"{path} data[].user"))
        return Page(tuple(names), self._has_next(payload))

    async def random_user(self) -> str:
        """The username of one random member."""
        payload = await self._get("/random/users", None)
        return self._username(payload["data"], "/random/users data")

    async def top_anime(self, page: int = 1, filter: str = "bypopularity") -> Page[int]:
        """MAL ids of the top anime (by default the most popular: most list members)."""
        payload = await self._get("/top/anime", {"filter": filter, "page": str(page)})
        ids = []
        for item in self._list(payload, "/top/anime"):
            mal_id = item.get("mal_id") if isinstance(item, dict) else None
            if not isinstance(mal_id, int) or isinstance(mal_id, bool):
                raise JikanInvalidResponse("/top/anime: an entry without an integer mal_id")
            ids.append(mal_id)
        return Page(tuple(ids), self._has_next(payload))

    # --- shapes -------------------------------------------------------------------------------

    @staticmethod
    def _list(payload: dict[str, Any], path: str) -> list[Any]:
        data = payload["data"]
        if not isinstance(data, list):
            raise JikanInvalidResponse(f"{path}: 'data' is not a list")
        return data

    @staticmethod
    def _has_next(payload: dict[str, Any]) -> bool:
        pagination = payload.get("pagination")
        return bool(isinstance(pagination, dict) and pagination.get("has_next_page") is True)

    @staticmethod
    def _username(item: Any, where: str) -> str:
        name = item.get("username") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise JikanInvalidResponse(f"{where}: no username")
        return name.strip()

    # --- transport ----------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)

    async def _get(self, path: str, params: dict[str, str] | None) -> dict[str, Any]:
        """GET ``path``: its JSON object, which must hold ``data`` (see the module docstring)."""
        session = self._session.get()
        url = f"{self.base_url}{path}"
        failure: JikanError = JikanUnavailable(f"no attempt made on GET {path}")
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            status = 0
            async with self._one:
                await self.limiter.acquire()
                self.stats.requests += 1
                try:
                    async with session.get(
                        url,
                        params=params,
                        timeout=self.timeout,
                        headers={"Accept": "application/json"},
                    ) as response:
                        status = response.status
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                        body = await response.read()
                except TimeoutError:
                    failure = JikanUnavailable(f"timeout on GET {path}")
                except aiohttp.ClientError as exc:
                    failure = JikanUnavailable(f"{type(exc).__name__} on GET {path}")
            if status:
                self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
            if status == 200:
                try:
                    payload = json.loads(body)
                except ValueError:
                    failure = JikanInvalidResponse(f"malformed JSON from GET {path}")
                else:
                    if isinstance(payload, dict) and "data" in payload:
                        return payload
                    failure = JikanInvalidResponse(f"200 without 'data' from GET {path}")
            elif status == 404:
                raise JikanNotFound(f"404 on GET {path}{_describe(body)}")
            elif status == 429:
                failure = JikanRateLimited(f"429 on GET {path}{_describe(body)}")
            elif status >= 500:
                failure = JikanUnavailable(f"HTTP {status} on GET {path}{_describe(body)}")
            elif status:
                raise JikanError(f"HTTP {status} on GET {path}{_describe(body)}")
            if attempt == self.max_retries:
                break
            delay = self._backoff(attempt)
            if retry_after is not None:
                delay = retry_after if status == 429 else max(retry_after, delay)
            delay = min(delay, self.retry_after_max)
            if status == 429:
                self.limiter.defer(delay)  # Jikan's limit is per client: everyone waits
            self.stats.retries += 1
            log.warning(
                "Jikan GET %s: %s; retry %d/%d in %.2fs",
                urlsplit(url).path,
                failure,
                attempt + 1,
                self.max_retries,
                delay,
            )
            await asyncio.sleep(delay)
        raise failure
