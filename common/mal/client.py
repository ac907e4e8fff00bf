"""The one async MyAnimeList API v2 client (aiohttp) the bot and the collector share.

Auth is the ``X-MAL-CLIENT-ID`` header (public data only, no OAuth). Every request goes
through one :class:`~common.mal.ratelimit.RateLimiter` (spacing + concurrency cap) and is retried
with exponential backoff and jitter on 429, 5xx, timeouts, connection errors and unreadable
200s (malformed JSON, no ``data``), honouring ``Retry-After``. Failures surface as the typed
errors of :mod:`common.mal.errors`. The client id is never logged or put in a URL.

The retry loop is written out rather than built on tenacity: a tenacity version passes the
same 57 client tests, but needs as many lines (Retry-After on 429 vs 5xx, the cap, the
limiter's pause and the typed final error all stay ours, in callbacks), and a retried request
took 1.2-1.7x as long.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

import aiohttp

from common.mal.errors import (
    AnimeNotFound,
    HttpStatus,
    InvalidResponse,
    InvalidUsername,
    ListPrivate,
    MalAuthError,
    MalError,
    MalThrottled,
    MalUnavailable,
    RateLimited,
    UserNotFound,
)
from common.mal.listings import ListingPages
from common.mal.models import ANIME_FIELDS, MalAnime, MalListEntry
from common.mal.ratelimit import RateLimiter
from common.session import OwnedSession

if TYPE_CHECKING:
    from pydantic import SecretStr

    from common.settings import MalSettings

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"[A-Za-z0-9_-]{2,16}")
"""MAL's username rule: 2–16 letters, digits, ``_`` or ``-``."""

CLIENT_ID_HEADER = "X-MAL-CLIENT-ID"
LIST_PAGE_SIZE = 1000  # MAL's maximum for /users/{name}/animelist
PROBE_ANIME_ID = 1  # Cowboy Bebop: always public, used to tell a private list from throttling


def validate_username(username: str) -> str:
    """Return ``username`` stripped if MAL could accept it, else raise InvalidUsername."""
    name = username.strip()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidUsername(username)
    return name


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max(when.timestamp() - current, 0.0)


@dataclass
class ClientStats:
    """Counters for logs and benchmarks."""

    requests: int = 0
    retries: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class MalClient(ListingPages):
    """Async MAL API v2 client; use as ``async with MalClient(...) as mal:``.

    ``session`` is an existing :class:`aiohttp.ClientSession` to share (not closed here); without
    one the client opens and closes its own. ``backoff_base``/``backoff_max`` shape the retry
    delays (``base·2^attempt``, capped, times a jitter in [0.5, 1]); ``retry_after_max`` caps how
    long one ``Retry-After`` is honoured. Tests shrink them.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str | SecretStr,
        requests_per_second: float = 1.0,
        max_concurrency: int = 4,
        timeout: float = 20,
        max_retries: int = 4,
        session: aiohttp.ClientSession | None = None,
        *,
        limiter: RateLimiter | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_max: float = 120.0,
        probe_anime_id: int = PROBE_ANIME_ID,
        max_pages: int = 200,
    ) -> None:
        secret = client_id if isinstance(client_id, str) else client_id.get_secret_value()
        if not secret:
            raise ValueError("a MAL client id is required")
        self.base_url = base_url.rstrip("/")
        self._client_id = secret
        self.limiter = limiter or RateLimiter(requests_per_second, max_concurrency)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.probe_anime_id = probe_anime_id
        self.max_pages = max_pages
        self.stats = ClientStats()
        self._session = OwnedSession(session, self._new_session)
        self._last_success = float("-inf")

    @classmethod
    def from_settings(
        cls, settings: MalSettings, session: aiohttp.ClientSession | None = None, **kwargs: Any
    ) -> MalClient:
        """A client configured from ``MAL_*`` settings (extra keyword arguments pass through)."""
        return cls(
            settings.mal_api_base_url,
            settings.mal_client_id,
            requests_per_second=settings.mal_requests_per_second,
            max_concurrency=settings.mal_max_concurrency,
            timeout=settings.mal_timeout_seconds,
            max_retries=settings.mal_max_retries,
            session=session,
            **kwargs,
        )

    def __repr__(self) -> str:  # never show the client id
        return f"MalClient({self.base_url!r}, rps={self.limiter.requests_per_second})"

    async def __aenter__(self) -> MalClient:
        self._session.get()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if this client opened it."""
        await self._session.close()

    def _new_session(self) -> aiohttp.ClientSession:
        # Each client gets a pool at least as wide as its concurrency cap.
        connector = aiohttp.TCPConnector(limit=max(self.limiter.max_concurrency, 10))
        return aiohttp.ClientSession(connector=connector)

    # --- public API -------------------------------------------------------------------------

    async def get_animelist(self, username: str) -> list[MalListEntry]:
        """Every entry of ``username``'s list, following ``paging.next`` (1000 per page)."""
        name = validate_username(username)
        url = self._list_url(name)
        params: dict[str, str] | None = {
            "fields": "list_status",
            "limit": str(LIST_PAGE_SIZE),
            "nsfw": "true",
        }
        entries: list[MalListEntry] = []
        seen: set[str] = set()
        for _ in range(self.max_pages):
            payload = await self._get_user_page(name, url, params)
            entries.extend(MalListEntry.from_api(item) for item in payload["data"])
            next_url = (payload.get("paging") or {}).get("next")
            if not next_url:
                return entries
            if not isinstance(next_url, str) or next_url in seen:
                raise InvalidResponse(f"bad or repeated paging.next for {name!r}")
            seen.add(next_url)
            url, params = self._follow(next_url, name)
        raise InvalidResponse(f"list of {name!r} has more than {self.max_pages} pages")

    async def list_fingerprint(self, username: str) -> str | None:
        """A string that changes when the list changes; ``None`` for an empty list.

        One cheap request: the most recently updated entry (``limit=1``,
        ``sort=list_updated_at``). Removing an entry does not change it (MAL gives no count),
        so callers should still refresh fully now and then.
        """
        name = validate_username(username)
        params = {"fields": "list_status", "limit": "1", "sort": "list_updated_at", "nsfw": "true"}
        payload = await self._get_user_page(name, self._list_url(name), params)
        if not payload["data"]:
            return None
        top = MalListEntry.from_api(payload["data"][0])
        stamp = top.updated_at.isoformat() if top.updated_at else ""
        return f"{top.anime_id}:{stamp}:{top.status}:{top.score}:{top.num_episodes_watched}"

    async def get_anime(self, anime_id: int) -> MalAnime:
        """Details of one anime (title, alternative titles, picture, genres, mean, ...)."""
        try:
            payload = await self._get(
                f"{self.base_url}/anime/{int(anime_id)}", {"fields": ANIME_FIELDS}, expect="id"
            )
        except HttpStatus as exc:
            if exc.status == 404:
                raise AnimeNotFound(anime_id) from None
            if exc.status == 403:
                raise MalThrottled(f"403 on anime {anime_id}") from None
            raise self._other_status(exc.status, f"anime {anime_id}") from None
        return MalAnime.from_api(payload)

    # --- internals --------------------------------------------------------------------------

    def _list_url(self, name: str) -> str:
        return f"{self.base_url}/users/{quote(name, safe='')}/animelist"

    def _follow(self, next_url: str, name: str) -> tuple[str, dict[str, str] | None]:
        """Where ``paging.next`` leads. Followed verbatim when it is under our base URL;
        otherwise (MAL behind a proxy names its own host) only its query is reused, so the
        client id header never goes to a host we were not configured with."""
        if next_url.startswith(self.base_url + "/"):
            return next_url, None
        return self._list_url(name), dict(parse_qsl(urlsplit(next_url).query))

    async def _get_user_page(
        self, name: str, url: str, params: dict[str, str] | None
    ) -> dict[str, Any]:
        try:
            payload = await self._get(url, params, expect="data")
        except HttpStatus as exc:
            raise await self._user_error(name, exc) from None
        if not isinstance(payload["data"], list):
            raise InvalidResponse(f"'data' is not a list for {name!r}")
        return payload

    async def _user_error(self, name: str, exc: HttpStatus) -> MalError:
        if exc.status == 404:
            return UserNotFound(name)
        if exc.status == 400:
            return InvalidUsername(name)
        if exc.status == 403:
            return await self._classify_forbidden(name, exc.started)
        return self._other_status(exc.status, f"list of {name!r}")

    async def _classify_forbidden(self, name: str, started: float) -> MalError:
        """403 means a private list, or MAL throttling us. If any request succeeded after this
        one was sent, MAL is answering us: private. Otherwise ask for a known public anime."""
        if self._last_success > started:
            return ListPrivate(name)
        try:
            await self._get(
                f"{self.base_url}/anime/{self.probe_anime_id}",
                {"fields": "id"},
                expect="id",
                retries=1,
            )
        except HttpStatus as probe:
            if probe.status == 403:
                return MalThrottled(f"403 on the list of {name!r} and on a public anime")
            return ListPrivate(name)  # MAL answered the probe: not throttling
        except MalError as probe_error:
            return probe_error
        return ListPrivate(name)

    def _other_status(self, status: int, what: str) -> MalError:
        if status == 401:
            return MalAuthError(f"401 on {what}: MAL_CLIENT_ID missing or not accepted")
        return MalError(f"unexpected HTTP {status} on {what}")

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)

    async def _get(
        self,
        url: str,
        params: dict[str, str] | None,
        *,
        expect: str,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """GET ``url`` and return its JSON object, which must hold the key ``expect``.

        Retries (bounded) what may pass: 429, 5xx, timeouts, connection errors, unreadable
        200s. Other statuses raise :class:`HttpStatus` at once.
        """
        session = self._session.get()
        headers = {CLIENT_ID_HEADER: self._client_id, "Accept": "application/json"}
        path = urlsplit(url).path
        max_retries = self.max_retries if retries is None else retries
        failure: MalError = MalUnavailable("no attempt made")
        for attempt in range(max_retries + 1):
            retry_after: float | None = None
            async with self.limiter.slot():
                started = time.monotonic()
                self.stats.requests += 1
                try:
                    async with session.get(
                        url, params=params, headers=headers, timeout=self.timeout
                    ) as response:
                        status = response.status
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                        body = await response.read()
                except TimeoutError:
                    status, failure = 0, MalUnavailable(f"timeout on GET {path}")
                except aiohttp.ClientError as exc:
                    kind = type(exc).__name__
                    status, failure = 0, MalUnavailable(f"{kind} on GET {path}")
            if status:
                self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
            if status == 200:
                try:
                    payload = json.loads(body)
                except ValueError:
                    failure = InvalidResponse(f"malformed JSON from GET {path}")
                else:
                    if isinstance(payload, dict) and expect in payload:
                        self._last_success = time.monotonic()
                        return payload
                    failure = InvalidResponse(f"200 without {expect!r} from GET {path}")
            elif status == 429:
                failure = RateLimited(f"429 on GET {path}", retry_after=retry_after)
            elif status >= 500:
                failure = MalUnavailable(f"HTTP {status} on GET {path}")
            elif status:
                raise HttpStatus(status, started)
            if attempt == max_retries:
                break
            delay = self._backoff(attempt)
            if retry_after is not None:
                # MAL's own hint wins on a 429; on a 5xx it only lengthens the backoff.
                delay = retry_after if status == 429 else max(retry_after, delay)
                delay = min(delay, self.retry_after_max)
            if status == 429:
                self.limiter.defer(delay)  # the limit is per client id: every request waits
            self.stats.retries += 1
            log.warning(
                "MAL GET %s: %s; retry %d/%d in %.2fs",
                path,
                failure,
                attempt + 1,
                max_retries,
                delay,
            )
            await asyncio.sleep(delay)
        raise failure
